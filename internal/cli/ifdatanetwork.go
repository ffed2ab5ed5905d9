package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"vfnet/internal/client"
	"vfnet/internal/store"
)

func newIfDataNetworkCmds() []*cobra.Command {
	return []*cobra.Command{newIfDNAssignCmd(), newIfDNRemoveCmd(), newIfDNListCmd()}
}

func newIfDNAssignCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "interface-datanetwork-assign HOST INTERFACE DATANETWORK",
		Short: "Attach an interface of a locked host to a data network",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (store.Assignment, error) {
				return c.Assign(ctx, args[0], args[1], args[2])
			})
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newIfDNRemoveCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "interface-datanetwork-remove HOST INTERFACE DATANETWORK",
		Short: "Detach an interface of a locked host from a data network",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			if err := c.Unassign(cmd.Context(), args[0], args[1], args[2]); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Removed data network %s from interface %s of host %s\n", args[2], args[1], args[0])
			return err
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newIfDNListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "interface-datanetwork-list HOST",
		Short: "List a host's interface-datanetwork assignments",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			as, err := c.Assignments(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var rows [][]string
			for _, a := range as {
				rows = append(rows, []string{a.Host, a.ID, a.Interface, a.DataNetwork, string(a.DataNetworkType)})
			}
			return o.list(cmd.OutOrStdout(), as, []string{"hostname", "uuid", "ifname", "datanetwork_name", "network_type"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}
