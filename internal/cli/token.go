package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"vfnet/internal/api"
	"vfnet/internal/client"
)

func newTokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Issue and list API tokens (admin)",
	}
	cmd.AddCommand(newTokenCreateCmd(), newTokenListCmd())
	return cmd
}

func newTokenCreateCmd() *cobra.Command {
	var o clientOptions
	var req api.CreateTokenRequest
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Issue a token; its secret is shown once",
		Example: `  vfnet token create --project demo --role member
  vfnet token create --project admin --role agent --host compute-0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (api.NewToken, error) {
				return c.CreateToken(ctx, req)
			})
		},
	}
	addClientFlags(cmd, &o)
	cmd.Flags().StringVar(&req.Project, "project", "", "project the token belongs to")
	cmd.Flags().StringSliceVar(&req.Roles, "role", nil, "role: admin, member, reader or agent (repeatable)")
	cmd.Flags().StringVar(&req.Host, "host", "", "the host an agent token may report for")
	cmd.Flags().StringVar(&req.ExpiresIn, "expires-in", "", "lifetime, e.g. 24h (default: never expires)")
	return cmd
}

func newTokenListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tokens (their secrets are not stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			ts, err := c.Tokens(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, t := range ts {
				exp := ""
				if t.ExpiresAt != nil {
					exp = t.ExpiresAt.Format("2006-01-02T15:04:05Z")
				}
				rows = append(rows, []string{t.ID, t.Project, strings.Join(t.Roles, ","), t.Host, exp})
			}
			return o.list(cmd.OutOrStdout(), ts, []string{"id", "project", "roles", "host", "expires_at"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}
