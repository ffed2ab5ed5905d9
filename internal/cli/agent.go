package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"vfnet/internal/kernel"
	"vfnet/internal/kernel/linux"
	"vfnet/internal/pciids"
	"vfnet/internal/sim"
)

// AgentConfig is what a host's agent needs (RunConverging runs it).
type AgentConfig struct {
	Server string // the control plane's URL
	Token  string // an agent token for Host, or an admin token
	Host   string // the host's name
	Kernel kernel.Kernel
	Names  *pciids.DB
	// Interval is the longest time between two passes (drift is put back
	// within it).
	Interval time.Duration
	Logger   *slog.Logger
	HTTP     *http.Client
}

func (cfg AgentConfig) check() error {
	if cfg.Server == "" || cfg.Token == "" || cfg.Host == "" || cfg.Kernel == nil {
		return errors.New("agent: a server URL (--server), a token (--token) and a host name (--host) are needed")
	}
	return nil
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
		Short: "Run a host's agent: register the host, report its NICs, converge them to the desired state",
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
			if err := cfg.check(); err != nil {
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
	f.DurationVar(&cfg.Interval, "interval", 10*time.Second, "longest time between two passes (observe, converge, report)")
	f.BoolVar(&debug, "debug", false, "log debug records")
	return cmd
}
