package abi

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is the ABI version this package describes, as "MAJOR.MINOR". A host refuses a plugin
// whose major version differs from its own; a minor version only adds, so a host serves any plugin
// whose minor version is not newer than its own.
const Version = "1.2"

// VersionMajor and VersionMinor are Version's parts.
const (
	VersionMajor = 1
	VersionMinor = 2
)

// ParseVersion splits "MAJOR.MINOR" into its numbers.
func ParseVersion(v string) (major, minor int, err error) {
	maj, min, ok := strings.Cut(v, ".")
	if !ok {
		return 0, 0, fmt.Errorf("abi version %q: want MAJOR.MINOR", v)
	}
	if major, err = strconv.Atoi(maj); err != nil || major < 0 {
		return 0, 0, fmt.Errorf("abi version %q: bad major number", v)
	}
	if minor, err = strconv.Atoi(min); err != nil || minor < 0 {
		return 0, 0, fmt.Errorf("abi version %q: bad minor number", v)
	}
	return major, minor, nil
}

// CheckVersion reports whether a plugin speaking version v can be served by this host, with an
// error that names both sides' versions when it cannot.
func CheckVersion(v string) error {
	major, minor, err := ParseVersion(v)
	if err != nil {
		return err
	}
	if major != VersionMajor {
		return fmt.Errorf("plugin speaks ABI %s, host speaks ABI %s: major versions differ", v, Version)
	}
	if minor > VersionMinor {
		return fmt.Errorf("plugin speaks ABI %s, host speaks ABI %s: plugin needs a newer host", v, Version)
	}
	return nil
}
