package embedded

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// startAttempts bounds how often StartCluster retries when a reserved peer port was taken by
// someone else between reserving and binding it.
const startAttempts = 3

// StartCluster starts an N-member etcd cluster on loopback, member i keeping its data in
// dirs[i], and returns once every member serves requests. Any minority of members can be closed
// and the rest keep a quorum. A cluster is made fresh each time: restarting members from their
// dirs is not supported, since their peer ports are chosen anew.
func StartCluster(ctx context.Context, dirs []string) ([]*Etcd, error) {
	if len(dirs) == 0 {
		return nil, errors.New("embedded etcd cluster: no member directories")
	}
	var lastErr error
	for range startAttempts {
		members, err := startClusterOnce(ctx, dirs)
		if err == nil {
			return members, nil
		}
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, lastErr
}

func startClusterOnce(ctx context.Context, dirs []string) ([]*Etcd, error) {
	peers, err := reservePeerURLs(len(dirs))
	if err != nil {
		return nil, err
	}
	var initial []string
	for i, u := range peers {
		initial = append(initial, fmt.Sprintf("%s=%s", memberName(i), u.String()))
	}
	token := fmt.Sprintf("kapi-%d", time.Now().UnixNano())

	members := make([]*Etcd, len(dirs))
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			closing := new(atomic.Bool)
			ecfg, err := newEmbedConfig(Config{Dir: dir, Name: memberName(i)}, closing)
			if err != nil {
				errs[i] = err
				return
			}
			ecfg.ListenPeerUrls = []url.URL{peers[i]}
			ecfg.AdvertisePeerUrls = []url.URL{peers[i]}
			ecfg.InitialCluster = strings.Join(initial, ",")
			ecfg.InitialClusterToken = token
			members[i], errs[i] = startMember(ecfg, quietLogger(nil), closing)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeAll(members)
		return nil, err
	}
	// Members become ready together, once a leader is elected.
	for _, m := range members {
		if err := m.waitReady(ctx); err != nil {
			closeAll(members)
			return nil, err
		}
	}
	return members, nil
}

func memberName(i int) string { return fmt.Sprintf("member%d", i) }

// reservePeerURLs finds n free loopback ports by listening on port 0 and closing again.
func reservePeerURLs(n int) ([]url.URL, error) {
	var urls []url.URL
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("reserving a peer port: %w", err)
		}
		listeners = append(listeners, l)
		urls = append(urls, url.URL{Scheme: "http", Host: l.Addr().String()})
	}
	return urls, nil
}

func closeAll(members []*Etcd) {
	for _, m := range members {
		if m != nil {
			m.Close()
		}
	}
}
