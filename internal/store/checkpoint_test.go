package store

import (
	"context"
	"path/filepath"
	"testing"

	"vfnet/internal/model"
)

// TestCheckpointOffTheWriter: SQLite's writer leaves checkpoints to the
// store's checkpointer (its own threshold is only a backstop), and a
// checkpoint copies every committed WAL frame into the database file.
func TestCheckpointOffTheWriter(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "ckpt.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var pages int
	if err := s.wdb.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil || pages != writerCheckpointPages {
		t.Fatalf("writer's wal_autocheckpoint: %d, %v; want %d", pages, err, writerCheckpointPages)
	}
	// Stop the background checkpointer so that this test's checkpoint is
	// the one that copies the frames.
	s.stopCheckpoints()
	<-s.checkpointsDone
	s.stopCheckpoints = nil
	for _, name := range []string{"datanet-a", "datanet-b", "datanet-c"} {
		if _, err := s.CreateDataNetwork(ctx, model.DataNetwork{Name: name, NetworkType: model.NetworkTypeFlat, MTU: 1500}); err != nil {
			t.Fatal(err)
		}
	}
	frames, copied, err := s.checkpoint(ctx)
	if err != nil || frames == 0 || copied != frames {
		t.Fatalf("checkpoint after three writes: %d frames, %d copied, %v; want every frame copied", frames, copied, err)
	}
}
