package server

import "github.com/slotdb/slotdb/server/resp"

// deferredArray is an array reply whose length is known only once its elements are written
// (Redis's addReplyDeferredLen): they go to a side buffer, and writeTo sends the header and
// then them.
type deferredArray struct {
	body resp.Writer
	n    int
}

func newDeferredArray(proto int) *deferredArray {
	return &deferredArray{body: resp.Writer{Proto: proto}}
}

// add counts one more element and returns the writer for it.
func (a *deferredArray) add() *resp.Writer {
	a.n++
	return &a.body
}

func (a *deferredArray) writeTo(w *resp.Writer) {
	w.Array(a.n)
	w.Raw(a.body.Buf)
}
