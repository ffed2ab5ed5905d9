package cli

import (
	"context"

	"github.com/spf13/cobra"

	"vfnet/internal/keystone"
	"vfnet/internal/model"
	"vfnet/internal/store"
)

// keystoneStore is the store as /v1 and /v2.0 see it when the server takes
// its tokens from an external Keystone: vfnet's own tokens (the bootstrap
// admin token, `vfnet token create`, the agents') still work, any other
// token is validated at Keystone. Keystone's roles map onto admin, member,
// reader and service only (keystone.MapRoles), so an agent token is always
// vfnet's own: a Keystone admin configures hosts, no Keystone user acts as
// an agent.
type keystoneStore struct {
	*store.Store
	keystone *keystone.Validator
}

func (k keystoneStore) Authenticate(ctx context.Context, secret string) (store.Token, error) {
	tok, err := k.Store.Authenticate(ctx, secret)
	if model.CodeOf(err) != model.ErrNotFound {
		return tok, err
	}
	return k.keystone.Validate(ctx, secret)
}

// addKeystoneFlags adds the external-Keystone flags of `vfnet server`.
func addKeystoneFlags(cmd *cobra.Command, cfg *keystone.Config) {
	f := cmd.Flags()
	f.StringVar(&cfg.URL, "keystone-url", "", "validate tokens at this Keystone (its v3 URL, e.g. http://keystone:5000/v3) instead of serving vfnet's own identity")
	f.StringVar(&cfg.User, "keystone-user", "vfnet", "vfnet's service user at Keystone (it needs the admin or service role)")
	f.StringVar(&cfg.Password, "keystone-password", "", "the service user's password (default $VFNET_KEYSTONE_PASSWORD)")
	f.StringVar(&cfg.Project, "keystone-project", "service", "the service user's project")
	f.StringVar(&cfg.UserDomain, "keystone-user-domain", "Default", "the service user's domain (name)")
	f.StringVar(&cfg.ProjectDomain, "keystone-project-domain", "Default", "the service project's domain (name)")
	f.DurationVar(&cfg.CacheTTL, "keystone-cache", keystone.DefaultCacheTTL, "how long a validated token is trusted without asking Keystone again")
}
