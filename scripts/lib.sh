# Shell functions shared by scripts/check and bench/run (sourced, not run).

# Send TERM to every process below this shell: the boots still running when
# the caller is interrupted. vm/run, on TERM, kills its QEMU.
stop_descendants() {
	local pids=() new=("$$")
	while [ ${#new[@]} -gt 0 ]; do
		mapfile -t new < <(ps -o pid= --ppid "$(IFS=,; echo "${new[*]}")" | tr -d ' ')
		pids+=("${new[@]}")
	done
	[ ${#pids[@]} -eq 0 ] || kill -TERM "${pids[@]}" 2>/dev/null || true
}

# Run a command and wait for it in the background: bash runs a trap only
# once the foreground command has finished, and a boot may take minutes.
waitfor() {
	"$@" &
	wait $!
}

# On INT or TERM: stop the boots, exit 130.
trap 'trap - INT TERM; stop_descendants; exit 130' INT TERM
