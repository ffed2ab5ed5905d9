package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"vfnet/internal/client"
	"vfnet/internal/model"
)

func newHostCmds() []*cobra.Command {
	return []*cobra.Command{newHostListCmd(), newHostShowCmd(), newHostLockCmd(), newHostUnlockCmd()}
}

func newHostListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "host-list",
		Short: "List hosts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			hs, err := c.Hosts(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, h := range hs {
				last := ""
				if !h.LastReport.IsZero() {
					last = h.LastReport.Format(time.RFC3339)
				}
				rows = append(rows, []string{h.ID, h.Hostname, string(h.Personality), string(h.Administrative), string(h.Operational), last})
			}
			return o.list(cmd.OutOrStdout(), hs, []string{"uuid", "hostname", "personality", "administrative", "operational", "last_report"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newHostShowCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "host-show HOST",
		Short: "Show a host",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (model.Host, error) {
				return c.Host(ctx, args[0])
			})
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newHostLockCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "host-lock HOST",
		Short: "Lock a host so that its interfaces can be configured",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (model.Host, error) {
				return c.LockHost(ctx, args[0])
			})
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newHostUnlockCmd() *cobra.Command {
	var o clientOptions
	var force bool
	cmd := &cobra.Command{
		Use:   "host-unlock HOST",
		Short: "Unlock a host once its agent reports the configuration applied",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (model.Host, error) {
				return c.UnlockHost(ctx, args[0], force)
			})
		},
	}
	addClientFlags(cmd, &o)
	cmd.Flags().BoolVarP(&force, "force", "f", false, "unlock without waiting for the agent to report the configuration applied")
	return cmd
}
