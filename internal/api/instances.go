package api

import (
	"net/http"

	"vfnet/internal/store"
	"vfnet/internal/switchport"
	"vfnet/internal/vmxml"
)

// Instances (/v1/instances): vfnet's own VMs. Creating one claims a device
// for each of its ports on one host (the claim path external binds use
// too); the answer carries each NIC's libvirt XML.

// InstanceRequest is POST /v1/instances.
type InstanceRequest struct {
	Name  string   `json:"name"`
	Ports []string `json:"ports"`
	// NUMANode pins the instance's NUMA node; absent lets vfnet choose.
	NUMANode *int `json:"numa_node,omitempty"`
	// NUMAPolicy applies to ports without numa_affinity_policy (default
	// legacy).
	NUMAPolicy string `json:"numa_affinity_policy,omitempty"`
	// Host places the instance there; absent lets vfnet choose.
	Host string `json:"host,omitempty"`
}

// MigrateRequest is POST /v1/instances/{instance}/migrate.
type MigrateRequest struct {
	// Live is refused for instances with direct or direct-physical ports.
	Live bool `json:"live,omitempty"`
	// Host is the destination; absent lets vfnet choose another host.
	Host string `json:"host,omitempty"`
}

// InstanceView is an instance as the API shows it.
type InstanceView struct {
	store.Instance
	NICs []NICView `json:"nics"`
}

// NICView is one NIC with the libvirt XML the VM definition needs.
type NICView struct {
	store.NIC
	// LibvirtXML is the <interface type='hostdev'> (direct) or <hostdev>
	// (direct-physical) element; "" when the port holds no device.
	LibvirtXML string `json:"libvirt_xml"`
}

// InstanceList is GET /v1/instances.
type InstanceList struct {
	Instances []InstanceView `json:"instances"`
}

// SwitchPortList is GET /v1/hosts/{host}/switch-ports.
type SwitchPortList struct {
	Host       string           `json:"host"`
	Interfaces []switchport.Row `json:"interfaces"`
}

// ClaimList is GET /v1/hosts/{host}/claims.
type ClaimList struct {
	Claims []store.Claim `json:"claims"`
}

func (a *API) instanceRoutes() []route {
	return []route{
		{"GET", "/v1/instances", readers, a.listInstances},
		{"POST", "/v1/instances", admins, a.createInstance},
		{"GET", "/v1/instances/{instance}", readers, a.showInstance},
		{"DELETE", "/v1/instances/{instance}", admins, a.deleteInstance},
		{"POST", "/v1/instances/{instance}/migrate", admins, a.migrateInstance},
		{"GET", "/v1/hosts/{host}/switch-ports", readers, a.switchPorts},
		{"GET", "/v1/hosts/{host}/claims", readers, a.listClaims},
	}
}

// View renders an instance with its NICs' libvirt XML.
func View(in store.Instance) (InstanceView, error) {
	v := InstanceView{Instance: in, NICs: []NICView{}}
	for _, n := range in.NICs {
		nv := NICView{NIC: n}
		if n.PCIAddr != "" {
			x, err := vmxml.Fragment(vmxml.NIC{VNICType: n.VNICType, MAC: n.MACAddress, PCIAddr: n.PCIAddr, VLAN: n.VLAN})
			if err != nil {
				return v, err
			}
			nv.LibvirtXML = x
		}
		v.NICs = append(v.NICs, nv)
	}
	return v, nil
}

func (a *API) listInstances(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	ins, err := a.store.Instances(r.Context())
	if err != nil {
		return err
	}
	out := InstanceList{Instances: []InstanceView{}}
	for _, in := range ins {
		v, err := View(in)
		if err != nil {
			return err
		}
		out.Instances = append(out.Instances, v)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) writeInstance(w http.ResponseWriter, status int, in store.Instance) error {
	v, err := View(in)
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

func (a *API) createInstance(w http.ResponseWriter, r *http.Request, tok store.Token) error {
	var req InstanceRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	in, err := a.store.CreateInstance(r.Context(), store.InstanceRequest{Name: req.Name, Project: tok.Project, Ports: req.Ports,
		Host: req.Host, NUMANode: req.NUMANode, NUMAPolicy: req.NUMAPolicy})
	if a.metrics != nil {
		a.metrics.Claim("instance_create", err)
	}
	if err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "instance created", "instance", in.Name, "host", in.Host, "numa_node", in.NUMANode)
	return a.writeInstance(w, http.StatusCreated, in)
}

func (a *API) showInstance(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	in, err := a.store.Instance(r.Context(), r.PathValue("instance"))
	if err != nil {
		return err
	}
	return a.writeInstance(w, http.StatusOK, in)
}

func (a *API) deleteInstance(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	if err := a.store.DeleteInstance(r.Context(), r.PathValue("instance")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) migrateInstance(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	var req MigrateRequest
	if err := decode(r, &req, true); err != nil {
		return err
	}
	in, err := a.store.MigrateInstance(r.Context(), r.PathValue("instance"), req.Live, req.Host)
	if a.metrics != nil {
		a.metrics.Claim("instance_migrate", err)
	}
	if err != nil {
		return err
	}
	return a.writeInstance(w, http.StatusOK, in)
}

func (a *API) switchPorts(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	sps, err := a.store.SwitchPorts(r.Context(), r.PathValue("host"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SwitchPortList{Host: r.PathValue("host"), Interfaces: nonNil(sps)})
	return nil
}

func (a *API) listClaims(w http.ResponseWriter, r *http.Request, _ store.Token) error {
	cs, err := a.store.Claims(r.Context(), r.PathValue("host"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ClaimList{Claims: nonNil(cs)})
	return nil
}
