package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"vfnet/internal/client"
	"vfnet/internal/neutron"
)

// newSubnetCmd is `vfnet subnet create|list|show|set|delete`, the openstack
// CLI's verbs over /v2.0/subnets. vfnet runs no DHCP server: enable_dhcp is
// stored for clients that read it, and SR-IOV VMs take their address from
// config drive, metadata or an external DHCP server.
func newSubnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subnet",
		Short: "Subnets (/v2.0, as `openstack subnet`): address ranges ports get their fixed IPs from",
	}
	cmd.AddCommand(newSubnetCreateCmd(), newSubnetListCmd(), newSubnetShowCmd(), newSubnetSetCmd(), newSubnetDeleteCmd())
	return cmd
}

// subnetFlags are the attributes subnet create and set share.
type subnetFlags struct {
	description, gateway string
	pools, dns           []string
	dhcp                 boolPair
	tags                 tagFlags
}

func addSubnetFlags(cmd *cobra.Command, f *subnetFlags, create bool) {
	cmd.Flags().StringVar(&f.description, "description", "", "description of the subnet")
	gw := "gateway: an IP address, or none"
	if create {
		gw = "gateway: an IP address, auto (the range's first address, the default) or none"
	}
	cmd.Flags().StringVar(&f.gateway, "gateway", "", gw)
	cmd.Flags().StringArrayVar(&f.pools, "allocation-pool", nil, "start=IP,end=IP: a range fixed IPs are given from (repeat for more)")
	cmd.Flags().StringArrayVar(&f.dns, "dns-nameserver", nil, "a DNS name server (repeat for more)")
	f.dhcp = addBoolPair(cmd, "dhcp", "no-dhcp", "enable_dhcp", "mark the subnet DHCP-enabled (vfnet runs no DHCP server)",
		"mark the subnet DHCP-disabled")
	addTagFlags(cmd, &f.tags, "subnet")
}

// attrs returns the attributes the flags set; set adds pools and name
// servers to current's unless told to drop those first.
func (f *subnetFlags) attrs(cmd *cobra.Command, create bool, pools []neutron.AllocationPool, dns []string) (client.Attrs, error) {
	a := client.Attrs{}
	fl := cmd.Flags()
	if fl.Changed("description") {
		a["description"] = f.description
	}
	switch g := f.gateway; {
	case !fl.Changed("gateway"), create && g == "auto":
	case g == "none":
		a["gateway_ip"] = nil
	case g == "auto":
		return nil, fmt.Errorf("--gateway auto: only on subnet create; give an IP address or none")
	default:
		a["gateway_ip"] = g
	}
	if len(f.pools) > 0 {
		for _, s := range f.pools {
			kv, err := keyValues("allocation-pool", s, "start", "end")
			if err != nil {
				return nil, err
			}
			if kv["start"] == "" || kv["end"] == "" {
				return nil, fmt.Errorf("--allocation-pool %q: give both start=IP and end=IP", s)
			}
			pools = append(pools, neutron.AllocationPool{Start: kv["start"], End: kv["end"]})
		}
		a["allocation_pools"] = pools
	} else if pools != nil && !create {
		a["allocation_pools"] = pools // --no-allocation-pool alone
	}
	if len(f.dns) > 0 {
		a["dns_nameservers"] = append(dns, f.dns...)
	} else if dns != nil && !create {
		a["dns_nameservers"] = dns
	}
	f.dhcp.set(cmd, a)
	return a, nil
}

func newSubnetCreateCmd() *cobra.Command {
	var o clientOptions
	var f subnetFlags
	var network, cidr, project, raMode, addrMode string
	var ipVersion int
	var routes []string
	cmd := &cobra.Command{
		Use:   "create --network NETWORK --subnet-range CIDR [--gateway IP|auto|none] [--allocation-pool start=IP,end=IP] NAME",
		Short: "Create a subnet",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			a, err := f.attrs(cmd, true, nil, nil)
			if err != nil {
				return err
			}
			n, err := networks().find(ctx, c, network)
			if err != nil {
				return err
			}
			a["name"], a["network_id"], a["ip_version"] = args[0], n.Value.ID, ipVersion
			if cidr != "" {
				a["cidr"] = cidr
			}
			if project != "" {
				a["project_id"] = project
			}
			if raMode != "" {
				a["ipv6_ra_mode"] = raMode
			}
			if addrMode != "" {
				a["ipv6_address_mode"] = addrMode
			}
			var hrs []neutron.HostRoute
			for _, s := range routes {
				kv, err := keyValues("host-route", s, "destination", "gateway")
				if err != nil {
					return err
				}
				hrs = append(hrs, neutron.HostRoute{Destination: kv["destination"], NextHop: kv["gateway"]})
			}
			if hrs != nil {
				a["host_routes"] = hrs
			}
			s, err := c.CreateSubnet(ctx, a)
			if err != nil {
				return err
			}
			if s, err = subnets().withTags(ctx, c, s, f.tags); err != nil {
				return err
			}
			return showAttrs(cmd.OutOrStdout(), &o, s.Attrs)
		},
	}
	cmd.Flags().StringVar(&network, "network", "", "network the subnet belongs to (name or ID)")
	cmd.MarkFlagRequired("network")
	cmd.Flags().StringVar(&cidr, "subnet-range", "", "the subnet's range in CIDR notation, e.g. 192.0.2.0/24")
	cmd.Flags().IntVar(&ipVersion, "ip-version", 4, "4 or 6")
	cmd.Flags().StringVar(&project, "project", "", "owner's project (ID; admin only)")
	cmd.Flags().StringVar(&raMode, "ipv6-ra-mode", "", "IPv6 RA mode: dhcpv6-stateful, dhcpv6-stateless or slaac (stored)")
	cmd.Flags().StringVar(&addrMode, "ipv6-address-mode", "", "IPv6 address mode: dhcpv6-stateful, dhcpv6-stateless or slaac (stored)")
	cmd.Flags().StringArrayVar(&routes, "host-route", nil, "destination=CIDR,gateway=IP: a route the subnet advertises (repeat for more)")
	addSubnetFlags(cmd, &f, true)
	addClientFlags(cmd, &o)
	return cmd
}

func newSubnetListCmd() *cobra.Command {
	var o clientOptions
	var l listFlags
	var network, cidr, gateway string
	var ipVersion int
	var dhcp boolPair
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List subnets (ID | Name | Network | Subnet)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			q := l.query()
			if err := networkQuery(cmd.Context(), c, q, network); err != nil {
				return err
			}
			if cidr != "" {
				q.Set("cidr", cidr)
			}
			if gateway != "" {
				q.Set("gateway_ip", gateway)
			}
			if cmd.Flags().Changed("ip-version") {
				q.Set("ip_version", strconv.Itoa(ipVersion))
			}
			dhcp.query(cmd, q)
			ss, err := c.Subnets(cmd.Context(), q)
			if err != nil {
				return err
			}
			cols := []column{{"ID", "id"}, {"Name", "name"}, {"Network", "network_id"}, {"Subnet", "cidr"}}
			if l.long {
				cols = append(cols, column{"Project", "project_id"}, column{"DHCP", "enable_dhcp"}, column{"Name Servers", "dns_nameservers"},
					column{"Allocation Pools", "allocation_pools"}, column{"Host Routes", "host_routes"}, column{"IP Version", "ip_version"},
					column{"Gateway", "gateway_ip"}, column{"Tags", "tags"})
			}
			return listObjects(cmd.OutOrStdout(), &o, ss, cols)
		},
	}
	addListFlags(cmd, &l, "subnet")
	cmd.Flags().StringVar(&network, "network", "", "list only subnets of this network (name or ID)")
	cmd.Flags().StringVar(&cidr, "subnet-range", "", "list only subnets of this range (CIDR)")
	cmd.Flags().StringVar(&gateway, "gateway", "", "list only subnets with this gateway IP")
	cmd.Flags().IntVar(&ipVersion, "ip-version", 4, "list only subnets of this IP version (4 or 6)")
	dhcp = addBoolPair(cmd, "dhcp", "no-dhcp", "enable_dhcp", "list only DHCP-enabled subnets", "list only DHCP-disabled subnets")
	addClientFlags(cmd, &o)
	return cmd
}

func newSubnetShowCmd() *cobra.Command {
	return subnets().newShowCmd("show SUBNET", "Show a subnet (by name or ID)")
}

func newSubnetSetCmd() *cobra.Command {
	var o clientOptions
	var f subnetFlags
	var name string
	var noPools, noDNS bool
	cmd := &cobra.Command{
		Use:   "set [--name NAME] [--gateway IP|none] [--allocation-pool start=IP,end=IP] [--dns-nameserver IP] ... SUBNET",
		Short: "Change a subnet's attributes (by name or ID) and show it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return subnets().runSet(cmd, &o, args[0], name, f.tags,
				func(_ context.Context, _ *client.Client, s client.Subnet) (client.Attrs, error) {
					// As openstack subnet set: new pools and name servers are
					// added to the subnet's, unless --no-allocation-pool or
					// --no-dns-nameservers drop those first.
					var pools []neutron.AllocationPool
					var dns []string
					if noPools {
						pools = []neutron.AllocationPool{}
					} else if len(f.pools) > 0 {
						pools = s.Value.AllocationPools
					}
					if noDNS {
						dns = []string{}
					} else if len(f.dns) > 0 {
						dns = s.Value.DNSNameservers
					}
					return f.attrs(cmd, false, pools, dns)
				})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().BoolVar(&noPools, "no-allocation-pool", false, "remove the subnet's allocation pools (before adding --allocation-pool ones)")
	cmd.Flags().BoolVar(&noDNS, "no-dns-nameservers", false, "remove the subnet's DNS name servers (before adding --dns-nameserver ones)")
	addSubnetFlags(cmd, &f, false)
	addClientFlags(cmd, &o)
	return cmd
}

func newSubnetDeleteCmd() *cobra.Command {
	return subnets().newDeleteCmd("delete SUBNET [SUBNET ...]",
		"Delete subnets (by name or ID); a subnet a port has an address from cannot be deleted")
}
