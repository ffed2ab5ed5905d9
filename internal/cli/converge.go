package cli

import (
	"context"
	"log/slog"

	"vfnet/internal/agent"
	"vfnet/internal/client"
)

// RunConverging runs the agent of cfg.Host as the agent protocol has it
// (agent.Loop): register, report the inventory, then long-poll the desired
// state, converge the host, report what was applied, and again at least
// every cfg.Interval even without a new revision, to put drift back.
// onPass, when set, sees each pass (tests and vfnet dev use it).
func RunConverging(ctx context.Context, cfg AgentConfig, onPass func(agent.Report, error)) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &agent.Loop{
		Host:   cfg.Host,
		Kernel: cfg.Kernel,
		Server: client.New(cfg.Server, cfg.Token, cfg.HTTP),
		Log:    log,
		Names:  cfg.Names,
		Resync: cfg.Interval,
		OnPass: onPass,
	}
	if cfg.Metrics != nil {
		l.Metrics = cfg.Metrics
	}
	err := l.Run(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}
