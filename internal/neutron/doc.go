// Package neutron is the pure layer of vfnet's Neutron-compatible /v2.0 API:
// the network, subnet and port types with Neutron's field names and JSON
// shapes, request decoding with Neutron's attribute rules and messages,
// NeutronError, list queries (filters, sorting, pagination, fields), the
// attribute policies, and the network, subnet, IPAM, MAC and SR-IOV port
// rules as functions of their inputs. Nothing here does I/O: the HTTP
// handlers and the store call these functions and own the transactions.
//
// docs/neutron.md says what vfnet's /v2.0 implements and what it refuses.
package neutron
