package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"vfnet/internal/api"
	"vfnet/internal/client"
	"vfnet/internal/model"
)

func newDataNetworkCmds() []*cobra.Command {
	return []*cobra.Command{newDNAddCmd(), newDNListCmd(), newDNShowCmd(), newDNModifyCmd(), newDNDeleteCmd()}
}

// parseRanges reads --segment-range values: "10-99" or a single "10".
func parseRanges(in []string) ([]model.SegmentRange, error) {
	var out []model.SegmentRange
	for _, s := range in {
		lo, hi, found := strings.Cut(s, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := a, error(nil)
		if found {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("--segment-range %q: write a VLAN range as MIN-MAX, e.g. 10-99", s)
		}
		out = append(out, model.SegmentRange{Min: a, Max: b})
	}
	return out, nil
}

func rangesCell(rs []model.SegmentRange) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%d-%d", r.Min, r.Max))
	}
	return strings.Join(parts, ",")
}

func newDNAddCmd() *cobra.Command {
	var o clientOptions
	var mtu int
	var desc string
	var ranges []string
	cmd := &cobra.Command{
		Use:   "datanetwork-add NAME flat|vlan",
		Short: "Add a data network (a physical network)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (model.DataNetwork, error) {
				rs, err := parseRanges(ranges)
				if err != nil {
					return model.DataNetwork{}, err
				}
				return c.CreateDataNetwork(ctx, api.CreateDataNetworkRequest{Name: args[0],
					NetworkType: model.NetworkType(args[1]), MTU: mtu, Description: desc, SegmentRanges: rs})
			})
		},
	}
	addClientFlags(cmd, &o)
	cmd.Flags().IntVarP(&mtu, "mtu", "m", 0, "MTU (576-9216, default 1500)")
	cmd.Flags().StringVarP(&desc, "description", "d", "", "description")
	cmd.Flags().StringArrayVar(&ranges, "segment-range", nil, "VLAN range MIN-MAX project networks are allocated from (repeatable)")
	return cmd
}

func newDNListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "datanetwork-list",
		Short: "List data networks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			ds, err := c.DataNetworks(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, d := range ds {
				rows = append(rows, []string{d.ID, d.Name, string(d.NetworkType), fmt.Sprint(d.MTU), rangesCell(d.SegmentRanges), d.Description})
			}
			return o.list(cmd.OutOrStdout(), ds, []string{"uuid", "name", "network_type", "mtu", "segment_ranges", "description"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newDNShowCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "datanetwork-show NAME",
		Short: "Show a data network (by name or uuid)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (model.DataNetwork, error) {
				return c.DataNetwork(ctx, args[0])
			})
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newDNModifyCmd() *cobra.Command {
	var o clientOptions
	var mtu int
	var desc string
	var ranges []string
	cmd := &cobra.Command{
		Use:   "datanetwork-modify NAME",
		Short: "Change a data network's MTU, description or segment ranges",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (model.DataNetwork, error) {
				var p model.DataNetworkPatch
				if cmd.Flags().Changed("mtu") {
					p.MTU = &mtu
				}
				if cmd.Flags().Changed("description") {
					p.Description = &desc
				}
				if cmd.Flags().Changed("segment-range") {
					rs, err := parseRanges(ranges)
					if err != nil {
						return model.DataNetwork{}, err
					}
					p.SegmentRanges = &rs
				}
				return c.ModifyDataNetwork(ctx, args[0], p)
			})
		},
	}
	addClientFlags(cmd, &o)
	cmd.Flags().IntVarP(&mtu, "mtu", "m", 0, "MTU (576-9216)")
	cmd.Flags().StringVarP(&desc, "description", "d", "", "description")
	cmd.Flags().StringArrayVar(&ranges, "segment-range", nil, "VLAN range MIN-MAX; the ranges given replace the current ones (repeatable)")
	return cmd
}

func newDNDeleteCmd() *cobra.Command {
	return newDeleteOneCmd("datanetwork-delete NAME", "Delete a data network nothing uses", "data network",
		func(ctx context.Context, c *client.Client, ref string) (deleted, error) {
			dn, err := c.DataNetwork(ctx, ref)
			if err != nil {
				return deleted{}, err
			}
			return deleted{ID: dn.ID, Name: dn.Name}, c.DeleteDataNetwork(ctx, dn.ID)
		})
}
