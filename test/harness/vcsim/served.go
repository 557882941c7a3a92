// Bytes the datastore file API (/folder/…) has sent, per file path: what a test measures a source's reads by
// (e.g. that a migration read only the allocated areas of a thin disk), as ESXi's own traffic would show.
package main

import (
	"io"
	"net/http"
	"sync"
)

type servedBytes struct {
	mu    sync.Mutex
	bytes map[string]int64
}

func newServed() *servedBytes { return &servedBytes{bytes: map[string]int64{}} }

// serve passes the request on, counting the body bytes written under the request's path.
func (s *servedBytes) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	cw := &countingWriter{ResponseWriter: w}
	next.ServeHTTP(cw, r)
	s.mu.Lock()
	s.bytes[r.URL.Path] += cw.n
	s.mu.Unlock()
}

func (s *servedBytes) snapshot() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.bytes))
	for k, v := range s.bytes {
		out[k] = v
	}
	return out
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadFrom keeps the server's own copy path (http.ServeContent copies through the ResponseWriter's ReadFrom), so
// counting does not change how files are served.
func (c *countingWriter) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.ResponseWriter.(io.ReaderFrom); ok {
		n, err := rf.ReadFrom(r)
		c.n += n
		return n, err
	}
	return io.Copy(struct{ io.Writer }{c}, r)
}

func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
