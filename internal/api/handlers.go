package api

import (
	"net/http"
	"time"

	"vfnet/internal/inventory"
	"vfnet/internal/model"
	"vfnet/internal/store"
)

// Hosts

func (a *API) listHosts(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	hs, err := a.store.Hosts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, HostList{Hosts: nonNil(hs)})
	return nil
}

func (a *API) showHost(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	h, err := a.store.Host(r.Context(), r.PathValue("host"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (a *API) registerHost(w http.ResponseWriter, r *http.Request, tok store.Token) error {
	var req RegisterRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	// authorize let through an admin or an agent: an agent registers only
	// its own host.
	if !tok.HasRole(store.RoleAdmin) && req.Hostname != tok.Host {
		return forbidden("This agent token is for host %s; it may not register host %s", tok.Host, req.Hostname)
	}
	h, err := a.store.RegisterHost(r.Context(), req.Hostname, req.Personality)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (a *API) lockHost(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req struct{}
	if err := decode(r, &req, true); err != nil {
		return err
	}
	h, err := a.store.LockHost(r.Context(), r.PathValue("host"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (a *API) unlockHost(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req UnlockRequest
	if err := decode(r, &req, true); err != nil {
		return err
	}
	h, err := a.store.UnlockHost(r.Context(), r.PathValue("host"), req.Force)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (a *API) reportInventory(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req inventory.Report
	if err := decode(r, &req, false); err != nil {
		return err
	}
	h, err := a.store.ReportInventory(r.Context(), r.PathValue("host"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (a *API) heartbeat(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req struct{}
	if err := decode(r, &req, true); err != nil {
		return err
	}
	h, err := a.store.Heartbeat(r.Context(), r.PathValue("host"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

// Ports

func (a *API) listPorts(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	ps, err := a.store.Ports(r.Context(), r.PathValue("host"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, PortList{Ports: nonNil(ps)})
	return nil
}

func (a *API) showPort(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	p, err := a.store.Port(r.Context(), r.PathValue("host"), r.PathValue("port"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// Interfaces

func (a *API) listInterfaces(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	is, err := a.store.Interfaces(r.Context(), r.PathValue("host"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, InterfaceList{Interfaces: nonNil(is)})
	return nil
}

func (a *API) showInterface(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	i, err := a.store.Interface(r.Context(), r.PathValue("host"), r.PathValue("if"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}

func (a *API) addInterface(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req AddInterfaceRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	in := model.Interface{Name: req.Name, Type: req.Type, Class: req.Class, Uses: req.Uses, MTU: req.MTU,
		SRIOVNumVFs: req.SRIOVNumVFs, SRIOVVFDriver: req.SRIOVVFDriver, MaxTxRate: req.MaxTxRate,
		AEMode: req.AEMode, VLANID: req.VLANID}
	i, err := a.store.AddInterface(r.Context(), r.PathValue("host"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, i)
	return nil
}

func (a *API) modifyInterface(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var patch model.InterfacePatch
	if err := decode(r, &patch, false); err != nil {
		return err
	}
	i, err := a.store.ModifyInterface(r.Context(), r.PathValue("host"), r.PathValue("if"), patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}

func (a *API) deleteInterface(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	if err := a.store.DeleteInterface(r.Context(), r.PathValue("host"), r.PathValue("if")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Interface-datanetwork assignments

func (a *API) listAssignments(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	as, err := a.store.Assignments(r.Context(), r.PathValue("host"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, AssignmentList{Assignments: nonNil(as)})
	return nil
}

func (a *API) assign(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req AssignRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	if req.Interface == "" || req.DataNetwork == "" {
		return badRequest(nil, "An assignment names an interface (\"interface\") and a data network (\"datanetwork\")")
	}
	as, err := a.store.AssignDataNetwork(r.Context(), r.PathValue("host"), req.Interface, req.DataNetwork)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, as)
	return nil
}

func (a *API) unassign(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	if err := a.store.RemoveDataNetwork(r.Context(), r.PathValue("host"), r.PathValue("if"), r.PathValue("dn")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Data networks

func (a *API) listDataNetworks(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	ds, err := a.store.DataNetworks(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, DataNetworkList{DataNetworks: nonNil(ds)})
	return nil
}

func (a *API) showDataNetwork(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	d, err := a.store.DataNetwork(r.Context(), r.PathValue("dn"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) createDataNetwork(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req CreateDataNetworkRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	d, err := a.store.CreateDataNetwork(r.Context(), model.DataNetwork{Name: req.Name, NetworkType: req.NetworkType,
		MTU: req.MTU, Description: req.Description, SegmentRanges: req.SegmentRanges})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (a *API) modifyDataNetwork(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var patch model.DataNetworkPatch
	if err := decode(r, &patch, false); err != nil {
		return err
	}
	d, err := a.store.ModifyDataNetwork(r.Context(), r.PathValue("dn"), patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) deleteDataNetwork(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	if err := a.store.DeleteDataNetwork(r.Context(), r.PathValue("dn")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Tokens

func (a *API) listTokens(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	ts, err := a.store.Tokens(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, TokenList{Tokens: nonNil(ts)})
	return nil
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req CreateTokenRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	spec := store.TokenSpec{Project: req.Project, Roles: req.Roles, Host: req.Host}
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			return badRequest(err, "expires_in %q is not a positive duration; write it like 24h or 90m", req.ExpiresIn)
		}
		spec.TTL = d
	}
	secret := store.NewTokenSecret()
	tok, err := a.store.CreateToken(r.Context(), secret, spec)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, NewToken{Token: tok, Secret: secret})
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
