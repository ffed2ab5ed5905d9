package cli

import (
	"context"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"vfnet/internal/client"
)

// newNetworkCmd is `vfnet network create|list|show|set|delete`, the
// openstack CLI's verbs over /v2.0/networks.
func newNetworkCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Networks (/v2.0, as `openstack network`): flat or VLAN networks on a data network",
	}
	cmd.AddCommand(newNetworkCreateCmd(), newNetworkListCmd(), newNetworkShowCmd(), newNetworkSetCmd(), newNetworkDeleteCmd())
	return cmd
}

// networkFlags are the attributes network create and set share.
type networkFlags struct {
	description, netType, physnet string
	segment, mtu                  int
	admin, share, portSec, ext    boolPair
	tags                          tagFlags
}

func addNetworkFlags(cmd *cobra.Command, f *networkFlags) {
	cmd.Flags().StringVar(&f.description, "description", "", "description of the network")
	cmd.Flags().StringVar(&f.netType, "provider-network-type", "", "flat or vlan (admin only)")
	cmd.Flags().StringVar(&f.physnet, "provider-physical-network", "", "the data network the network is on (admin only)")
	cmd.Flags().IntVar(&f.segment, "provider-segment", 0, "VLAN ID, 1-4094 (admin only; default: one from the data network's segment ranges)")
	cmd.Flags().IntVar(&f.mtu, "mtu", 0, "MTU, at most the data network's")
	f.admin = addBoolPair(cmd, "enable", "disable", "admin_state_up", "enable the network (default)", "disable the network")
	f.share = addBoolPair(cmd, "share", "no-share", "shared", "share the network between projects (admin only)", "do not share the network (default)")
	f.portSec = addBoolPair(cmd, "enable-port-security", "disable-port-security", "port_security_enabled",
		"new ports get MAC spoof checking on their VF (default)", "new ports get no MAC spoof checking")
	f.ext = addBoolPair(cmd, "external", "internal", "router:external", "mark the network external (admin only)", "mark the network internal (default)")
	addTagFlags(cmd, &f.tags, "network")
}

// attrs returns the attributes the flags set.
func (f *networkFlags) attrs(cmd *cobra.Command) client.Attrs {
	a := client.Attrs{}
	fl := cmd.Flags()
	for flag, attr := range map[string]string{"description": "description", "provider-network-type": "provider:network_type",
		"provider-physical-network": "provider:physical_network"} {
		if fl.Changed(flag) {
			a[attr], _ = fl.GetString(flag)
		}
	}
	if fl.Changed("provider-segment") {
		a["provider:segmentation_id"] = f.segment
	}
	if fl.Changed("mtu") {
		a["mtu"] = f.mtu
	}
	for _, p := range []boolPair{f.admin, f.share, f.portSec, f.ext} {
		p.set(cmd, a)
	}
	return a
}

func newNetworkCreateCmd() *cobra.Command {
	var o clientOptions
	var f networkFlags
	var project string
	cmd := &cobra.Command{
		Use:   "create [--provider-network-type vlan --provider-physical-network DATANET --provider-segment VLAN] NAME",
		Short: "Create a network",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			a := f.attrs(cmd)
			a["name"] = args[0]
			if project != "" {
				a["project_id"] = project
			}
			ctx := cmd.Context()
			n, err := c.CreateNetwork(ctx, a)
			if err != nil {
				return err
			}
			if n, err = networks().withTags(ctx, c, n, f.tags); err != nil {
				return err
			}
			return showAttrs(cmd.OutOrStdout(), &o, n.Attrs)
		},
	}
	addNetworkFlags(cmd, &f)
	cmd.Flags().StringVar(&project, "project", "", "owner's project (ID; admin only)")
	addClientFlags(cmd, &o)
	return cmd
}

func newNetworkListCmd() *cobra.Command {
	var o clientOptions
	var l listFlags
	var netType, physnet, status string
	var segment int
	var share, admin, ext boolPair
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List networks (ID | Name | Subnets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			q := l.query()
			for k, v := range map[string]string{"provider:network_type": netType, "provider:physical_network": physnet, "status": status} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if cmd.Flags().Changed("provider-segment") {
				q.Set("provider:segmentation_id", strconv.Itoa(segment))
			}
			for _, p := range []boolPair{share, admin, ext} {
				p.query(cmd, q)
			}
			ns, err := c.Networks(cmd.Context(), q)
			if err != nil {
				return err
			}
			cols := []column{{"ID", "id"}, {"Name", "name"}, {"Subnets", "subnets"}}
			if l.long {
				cols = []column{{"ID", "id"}, {"Name", "name"}, {"Status", "status"}, {"Project", "project_id"},
					{"State", "admin_state_up"}, {"Shared", "shared"}, {"Subnets", "subnets"},
					{"Network Type", "provider:network_type"}, {"Physical Network", "provider:physical_network"},
					{"Segment", "provider:segmentation_id"}, {"MTU", "mtu"}, {"External", "router:external"}, {"Tags", "tags"}}
			}
			return listObjects(cmd.OutOrStdout(), &o, ns, cols)
		},
	}
	addListFlags(cmd, &l, "network")
	cmd.Flags().StringVar(&netType, "provider-network-type", "", "list only networks of this type (flat or vlan)")
	cmd.Flags().StringVar(&physnet, "provider-physical-network", "", "list only networks on this data network")
	cmd.Flags().IntVar(&segment, "provider-segment", 0, "list only networks with this VLAN ID")
	cmd.Flags().StringVar(&status, "status", "", "list only networks of this status (ACTIVE, DOWN ...)")
	share = addBoolPair(cmd, "share", "no-share", "shared", "list only shared networks", "list only networks that are not shared")
	admin = addBoolPair(cmd, "enable", "disable", "admin_state_up", "list only enabled networks", "list only disabled networks")
	ext = addBoolPair(cmd, "external", "internal", "router:external", "list only external networks", "list only internal networks")
	addClientFlags(cmd, &o)
	return cmd
}

func newNetworkShowCmd() *cobra.Command {
	return networks().newShowCmd("show NETWORK", "Show a network (by name or ID)")
}

func newNetworkSetCmd() *cobra.Command {
	var o clientOptions
	var f networkFlags
	var name string
	cmd := &cobra.Command{
		Use:   "set [--name NAME] [--description TEXT] [--enable|--disable] [--tag TAG] ... NETWORK",
		Short: "Change a network's attributes (by name or ID) and show it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return networks().runSet(cmd, &o, args[0], name, f.tags,
				func(context.Context, *client.Client, client.Network) (client.Attrs, error) { return f.attrs(cmd), nil })
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "new name")
	addNetworkFlags(cmd, &f)
	addClientFlags(cmd, &o)
	return cmd
}

func newNetworkDeleteCmd() *cobra.Command {
	return networks().newDeleteCmd("delete NETWORK [NETWORK ...]",
		"Delete networks (by name or ID); a network with ports cannot be deleted")
}

// networkQuery filters a subnet or port list by network (name or ID).
func networkQuery(ctx context.Context, c *client.Client, q url.Values, ref string) error {
	if ref == "" {
		return nil
	}
	n, err := networks().find(ctx, c, ref)
	if err != nil {
		return err
	}
	q.Set("network_id", n.Value.ID)
	return nil
}
