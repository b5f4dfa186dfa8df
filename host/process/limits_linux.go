package process

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// limitMemory makes limits.memoryMiB a limit the kernel enforces on the process: RLIMIT_DATA (its
// private writable mappings: heap, stacks, data) set to what it has mapped now, after its runtime
// started, plus mib. RLIMIT_DATA counts mapped memory, touched or not, and a Go runtime maps tens
// of MiB at start it may never touch (its heap index, page summaries; with cgo, 8 MiB per thread
// stack), so an absolute limit would make a small memoryMiB unusable; the start is measured
// instead. RLIMIT_AS would be worse: a Go process reserves more than a GiB of address space.
// Beyond the limit a mapping fails (ENOMEM): a Go runtime dies "out of memory", and the
// supervisor restarts the process.
func limitMemory(pid, mib int) error {
	started, err := mappedData(pid)
	if err != nil {
		return err
	}
	limit := started + uint64(mib)<<20
	return unix.Prlimit(pid, unix.RLIMIT_DATA, &unix.Rlimit{Cur: limit, Max: limit}, nil)
}

// mappedData is the process's VmData (what RLIMIT_DATA counts), in bytes.
func mappedData(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmData:")); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmData of pid %d: %w", pid, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmData in /proc/%d/status", pid)
}
