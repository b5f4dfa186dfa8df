package storage

import "sync"

// encodingCache holds an event's encodings by content type. Events usually have one or two
// content types, so a short slice under a mutex beats a map; each encoding is computed once, by
// the first caller, while later callers for the same content type wait for it.
type encodingCache struct {
	mu      sync.Mutex
	entries []*encodingEntry
}

type encodingEntry struct {
	contentType string
	once        sync.Once
	data        []byte
	err         error
}

func (c *encodingCache) get(contentType string, encode func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	var e *encodingEntry
	for _, candidate := range c.entries {
		if candidate.contentType == contentType {
			e = candidate
			break
		}
	}
	if e == nil {
		e = &encodingEntry{contentType: contentType}
		c.entries = append(c.entries, e)
	}
	c.mu.Unlock()
	e.once.Do(func() { e.data, e.err = encode() })
	return e.data, e.err
}
