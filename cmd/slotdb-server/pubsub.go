package main

import (
	"github.com/slotdb/slotdb/cluster/state"
	"github.com/slotdb/slotdb/server"
	"github.com/slotdb/slotdb/server/config"
)

// wirePubsub applies client-output-buffer-limit's pubsub class now and on CONFIG SET.
func wirePubsub(cfg *config.Config, srv *server.Server) {
	l := cfg.ClientOutputBufferLimit("pubsub")
	srv.SetPubsubOutputLimit(int64(l.Hard), int64(l.Soft), int64(l.SoftSeconds))
	cfg.OnChange("client-output-buffer-limit", func(v string) error {
		if hard, soft, secs, ok := server.ParsePubsubOutputLimit(v); ok {
			srv.SetPubsubOutputLimit(hard, soft, secs)
		}
		return nil
	})
}

// publishToServer delivers PUBLISH / SPUBLISH received over the cluster bus to the server's
// subscribers.
func publishToServer(srv *server.Server) func(state.Publish) {
	return func(p state.Publish) { srv.DeliverPublish(p.Channel, p.Message, p.Shard) }
}
