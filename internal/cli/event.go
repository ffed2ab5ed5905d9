package cli

import (
	"time"

	"github.com/spf13/cobra"
)

// newEventListCmd is `vfnet event-list [--host H] [--kind K]`: what agents
// found and did on hosts (drift put back, kernel errors, VFs reset,
// revisions applied), oldest first.
func newEventListCmd() *cobra.Command {
	var (
		o          clientOptions
		host, kind string
	)
	cmd := &cobra.Command{
		Use:   "event-list",
		Short: "List host events: drift put back, kernel errors, VFs reset, revisions applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			evs, err := c.Events(cmd.Context(), host, kind)
			if err != nil {
				return err
			}
			var rows [][]string
			for _, e := range evs {
				rows = append(rows, []string{e.At.Format(time.RFC3339), e.Host, string(e.Kind), e.Object, e.Message})
			}
			return o.list(cmd.OutOrStdout(), evs, []string{"time", "host", "kind", "object", "message"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	cmd.Flags().StringVar(&host, "host", "", "only this host's events")
	cmd.Flags().StringVar(&kind, "kind", "", "only events of this kind: drift, error, reset or info")
	return cmd
}
