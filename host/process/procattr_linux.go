package process

import (
	"os/exec"
	"syscall"
)

// dieWithParent asks the kernel to SIGKILL the plugin process when the server dies, however it
// dies (SIGKILL included). Pdeathsig follows the forking thread, not the process; sdk/process's
// parent watch is the backstop (see the package doc).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
