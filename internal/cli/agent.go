package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"vfnet/internal/client"
	"vfnet/internal/inventory"
	"vfnet/internal/kernel"
	"vfnet/internal/kernel/linux"
	"vfnet/internal/pciids"
	"vfnet/internal/sim"
)

// AgentConfig is what a host's agent needs.
type AgentConfig struct {
	Server string // the control plane's URL
	Token  string // an agent token for Host, or an admin token
	Host   string // the host's name
	Kernel kernel.Kernel
	Names  *pciids.DB
	// Interval is the time between two passes (report or heartbeat).
	Interval time.Duration
	Logger   *slog.Logger
	HTTP     *http.Client
	// OnPass, when set, is called after each pass of Run with its error:
	// tests wait on it instead of sleeping.
	OnPass func(error)
}

// Agent reports one host's inventory to the control plane and keeps it
// current: a pass observes the kernel and sends the report when it changed
// since the last one the server took, a heartbeat otherwise. (Converging
// the host to its desired state joins the pass in a later change.)
type Agent struct {
	cfg    AgentConfig
	client *client.Client
	log    *slog.Logger
	// last is the report the server last accepted, as compared (see
	// reportKey); nil when the next pass must report.
	last []byte
}

// NewAgent returns an agent; Run starts it.
func NewAgent(cfg AgentConfig) (*Agent, error) {
	if cfg.Server == "" || cfg.Token == "" || cfg.Host == "" || cfg.Kernel == nil {
		return nil, errors.New("agent: a server URL (--server), a token (--token) and a host name (--host) are needed")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Agent{cfg: cfg, client: client.New(cfg.Server, cfg.Token, cfg.HTTP), log: log.With("host", cfg.Host)}, nil
}

// Register creates the agent's host on the server, or finds it.
func (a *Agent) Register(ctx context.Context) error {
	if _, err := a.client.RegisterHost(ctx, a.cfg.Host, ""); err != nil {
		return fmt.Errorf("agent: register host %s: %w", a.cfg.Host, err)
	}
	a.last = nil
	return nil
}

// Sync is one pass: observe, then report or heartbeat.
func (a *Agent) Sync(ctx context.Context) error {
	h, err := a.cfg.Kernel.Observe(ctx)
	if err != nil {
		return fmt.Errorf("agent: observe host %s: %w", a.cfg.Host, err)
	}
	report := inventory.Build(h, a.cfg.Names)
	key, err := reportKey(report)
	if err != nil {
		return err
	}
	if a.last != nil && bytes.Equal(key, a.last) {
		_, err = a.client.Heartbeat(ctx, a.cfg.Host)
	} else {
		_, err = a.client.ReportInventory(ctx, a.cfg.Host, report)
	}
	if client.StatusOf(err) == http.StatusNotFound {
		// The server lost the host (a fresh database): register again.
		if err = a.Register(ctx); err == nil {
			_, err = a.client.ReportInventory(ctx, a.cfg.Host, report)
		}
	}
	if err != nil {
		a.last = nil
		return fmt.Errorf("agent: report host %s: %w", a.cfg.Host, err)
	}
	if !bytes.Equal(key, a.last) {
		a.log.InfoContext(ctx, "reported inventory", "ports", len(report.Ports))
	}
	a.last = key
	return nil
}

// reportKey is the part of a report whose change makes a new report: the
// VFs' counters change all the time and the control plane keeps none of
// them.
func reportKey(r inventory.Report) ([]byte, error) {
	ports := make([]inventory.Port, len(r.Ports))
	for i, p := range r.Ports {
		p.VFs = nil
		ports[i] = p
	}
	r.Ports = ports
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("agent: encode report: %w", err)
	}
	return b, nil
}

// Run registers and then passes every interval until ctx ends. A failed
// pass is logged and retried at the next tick: the server may be down.
func (a *Agent) Run(ctx context.Context) error {
	tick := time.NewTicker(a.cfg.Interval)
	defer tick.Stop()
	registered := false
	for {
		var err error
		if !registered {
			if err = a.Register(ctx); err == nil {
				registered = true
			}
		}
		if registered {
			err = a.Sync(ctx)
		}
		if err != nil && ctx.Err() == nil {
			a.log.WarnContext(ctx, "agent pass failed; retrying", "err", err, "in", a.cfg.Interval)
		}
		if a.cfg.OnPass != nil {
			a.cfg.OnPass(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func newAgentCmd() *cobra.Command {
	var (
		cfg               AgentConfig
		sysfsRoot, simDir string
		pciIDs            string
		debug             bool
	)
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a host's agent: register the host, report its NICs and keep reporting",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			if cfg.Server == "" {
				cfg.Server = os.Getenv("VFNET_URL")
			}
			if cfg.Token == "" {
				cfg.Token = os.Getenv("VFNET_TOKEN")
			}
			cfg.Names = pciids.Open(pciIDs)
			if cmd.Flags().Changed("sim") && cmd.Flags().Changed("sysfs") {
				return errors.New("agent: give --sim DIR or --sysfs ROOT, not both")
			}
			if simDir != "" {
				k, err := sim.Open(simDir)
				if err != nil {
					return err
				}
				if cfg.Host == "" {
					if cfg.Host, err = k.Hostname(ctx); err != nil {
						return err
					}
				}
				cfg.Kernel = k
			} else {
				k, err := linux.New(linux.Options{SysfsRoot: sysfsRoot, Logger: cfg.Logger})
				if err != nil {
					return err
				}
				defer k.Close()
				if cfg.Host == "" {
					if cfg.Host, err = os.Hostname(); err != nil {
						return fmt.Errorf("agent: host name: %w (give --host)", err)
					}
				}
				cfg.Kernel = k
			}
			if _, err := NewAgent(cfg); err != nil {
				return err
			}
			// The agent converges its host (issue 5): converge.go.
			return RunConverging(ctx, cfg, nil)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Server, "server", "", "control plane URL (default $VFNET_URL)")
	f.StringVar(&cfg.Token, "token", "", "agent token for this host (default $VFNET_TOKEN)")
	f.StringVar(&cfg.Host, "host", "", "this host's name (default: the simulated host's, or the system host name)")
	f.StringVar(&sysfsRoot, "sysfs", "/sys", "sysfs root of the host")
	f.StringVar(&simDir, "sim", "", "a simulated host's directory (vfnet sim create) instead of the real kernel")
	f.StringVar(&pciIDs, "pci-ids", pciids.DefaultPath, "pci.ids file naming vendors and devices")
	f.DurationVar(&cfg.Interval, "interval", 10*time.Second, "time between two reports or heartbeats")
	f.BoolVar(&debug, "debug", false, "log debug records")
	return cmd
}
