package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"vfnet/internal/client"
	"vfnet/internal/store"
)

// The identity's users, projects and roles, through its Keystone v3 routes
// (/identity/v3) with the admin token, as the openstack CLI's user,
// project and role verbs do.

func newUserCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Create, list and delete the identity's users (admin)"}
	cmd.AddCommand(newUserCreateCmd(), newUserListCmd(), newUserDeleteCmd())
	return cmd
}

func newUserCreateCmd() *cobra.Command {
	var o clientOptions
	var password, project, email string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a user in the default domain; without --password one is made and shown once",
		Example: `  vfnet user create alice --password s3cret --project demo
  vfnet role add --user alice --project demo member`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			made := password == ""
			if made {
				password = store.NewTokenSecret()
			}
			u, err := c.CreateUser(cmd.Context(), args[0], password, project, email)
			if err != nil {
				return err
			}
			if made {
				return o.show(cmd.OutOrStdout(), struct {
					client.User
					Password string `json:"password"`
				}{u, password})
			}
			return o.show(cmd.OutOrStdout(), u)
		},
	}
	addClientFlags(cmd, &o)
	cmd.Flags().StringVar(&password, "password", "", "the user's password (default: a random one, shown once)")
	cmd.Flags().StringVar(&project, "project", "", "the user's default project (id or name): the one it logs in to without a scope")
	cmd.Flags().StringVar(&email, "email", "", "the user's e-mail address")
	return cmd
}

func newUserListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			us, err := c.Users(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, u := range us {
				rows = append(rows, []string{u.ID, u.Name, u.DefaultProjectID, fmt.Sprint(u.Enabled)})
			}
			return o.list(cmd.OutOrStdout(), us, []string{"id", "name", "default_project_id", "enabled"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newUserDeleteCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "delete USER",
		Short: "Delete a user (id or name), its role assignments and its tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			return deleteEach(cmd, &o, "user", args, func(ctx context.Context, ref string) (deleted, error) {
				us, err := c.Users(ctx)
				if err != nil {
					return deleted{}, err
				}
				d := findIdentity(ref, us, func(u client.User) deleted { return deleted{ID: u.ID, Name: u.Name} })
				return d, c.DeleteUser(ctx, d.ID)
			})
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newProjectCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "project", Short: "Create, list and delete the identity's projects (admin)"}
	cmd.AddCommand(newProjectCreateCmd(), newProjectListCmd(), newProjectDeleteCmd())
	return cmd
}

func newProjectCreateCmd() *cobra.Command {
	var o clientOptions
	var description string
	cmd := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a project in the default domain",
		Example: "  vfnet project create demo --description 'the demo team'",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (client.Project, error) {
				return c.CreateProject(ctx, args[0], description)
			})
		},
	}
	addClientFlags(cmd, &o)
	cmd.Flags().StringVar(&description, "description", "", "what the project is for")
	return cmd
}

func newProjectListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List projects",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			ps, err := c.Projects(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, p := range ps {
				rows = append(rows, []string{p.ID, p.Name, p.Description, fmt.Sprint(p.Enabled)})
			}
			return o.list(cmd.OutOrStdout(), ps, []string{"id", "name", "description", "enabled"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newProjectDeleteCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "delete PROJECT",
		Short: "Delete a project (id or name), its role assignments and the tokens scoped to it",
		Long: `Delete a project (id or name), its role assignments and the tokens scoped to it.
Its networks, subnets and ports stay, as in Neutron when Keystone deletes a
project: delete them first, as the admin.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			return deleteEach(cmd, &o, "project", args, func(ctx context.Context, ref string) (deleted, error) {
				ps, err := c.Projects(ctx)
				if err != nil {
					return deleted{}, err
				}
				d := findIdentity(ref, ps, func(p client.Project) deleted { return deleted{ID: p.ID, Name: p.Name} })
				return d, c.DeleteProject(ctx, d.ID)
			})
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newRoleCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "role", Short: "Give users roles on projects (admin): admin, member, reader, service"}
	cmd.AddCommand(newRoleChangeCmd("add"), newRoleChangeCmd("remove"), newRoleListCmd())
	return cmd
}

func newRoleChangeCmd(verb string) *cobra.Command {
	var o clientOptions
	var user, project string
	short := "Give a user a role on a project: admin, member, reader or service"
	if verb == "remove" {
		short = "Take a role on a project away from a user; its tokens on the project are revoked"
	}
	cmd := &cobra.Command{
		Use:     verb + " --user USER --project PROJECT ROLE",
		Short:   short,
		Example: "  vfnet role " + verb + " --user alice --project demo member",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if user == "" || project == "" {
				return fmt.Errorf("role %s: give the user (--user) and the project (--project)", verb)
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			if verb == "remove" {
				return c.RemoveRole(cmd.Context(), user, project, args[0])
			}
			return c.AddRole(cmd.Context(), user, project, args[0])
		},
	}
	addClientFlags(cmd, &o)
	cmd.Flags().StringVar(&user, "user", "", "the user (id or name)")
	cmd.Flags().StringVar(&project, "project", "", "the project (id or name)")
	return cmd
}

func newRoleListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List role assignments",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			as, err := c.RoleAssignments(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, a := range as {
				rows = append(rows, []string{a.Role, a.User, a.Project})
			}
			return o.list(cmd.OutOrStdout(), as, []string{"role", "user_id", "project_id"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

// findIdentity is the user or project ref names (its id, else its name);
// one not found is left to the server to refuse, with its own message.
func findIdentity[T any](ref string, all []T, of func(T) deleted) deleted {
	for _, pass := range []func(deleted) bool{
		func(d deleted) bool { return d.ID == ref },
		func(d deleted) bool { return d.Name == ref },
	} {
		for _, x := range all {
			if d := of(x); pass(d) {
				return d
			}
		}
	}
	return deleted{ID: ref, Name: ref}
}
