//go:build !linux

package process

import "os/exec"

// dieWithParent has no kernel support outside Linux; sdk/process's parent watch makes the plugin
// exit when the server dies.
func dieWithParent(*exec.Cmd) {}
