//go:build !linux

package process

// limitMemory does nothing off Linux: limits.memoryMiB reaches the process only as GOMEMLIMIT.
func limitMemory(pid, mib int) error { return nil }
