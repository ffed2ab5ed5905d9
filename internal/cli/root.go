// Package cli is vfnet's command line: one cobra command per verb, each a thin
// layer over the packages that do the work.
package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"
)

// Run executes the vfnet command line with args and returns its error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "vfnet",
		Short:         "SR-IOV Virtual Functions and PCI passthrough for virtual machines",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Each verb group lives in its own file and adds itself here.
	root.AddCommand(
		newVersionCmd(),
		newSimCmd(),
		newInventoryCmd(),
		newServerCmd(),
		newAgentCmd(),
		newTokenCmd(),
		newUserCmd(), newProjectCmd(), newRoleCmd(),
		newEventListCmd(), newHostAppliedShowCmd(),
		newDevCmd(),
	)
	root.AddCommand(newHostCmds()...)
	root.AddCommand(newPortCmds()...)
	root.AddCommand(newInterfaceCmds()...)
	root.AddCommand(newDataNetworkCmds()...)
	root.AddCommand(newIfDataNetworkCmds()...)
	root.AddCommand(newInstanceCmd(), newHostIfVLANsCmd())
	root.AddCommand(newNetworkCmd(), newSubnetCmd(), newNeutronPortCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print vfnet's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), "vfnet "+Version+"\n")
			return err
		},
	}
}

// Version is set at build time with -ldflags "-X vfnet/internal/cli.Version=...".
var Version = "dev"
