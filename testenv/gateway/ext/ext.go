// Package ext stands in for Traefik's pkg/config/dynamic/ext, a nested module that Traefik's own
// go.mod reaches through `replace => ./pkg/config/dynamic/ext` and that is therefore in neither
// the traefik/v3 module zip nor the proxy. In the open-source tree it holds only these empty
// extension points (filled by Traefik's commercial builds); ../README.md says more.
package ext

// HTTP is a dynamic.HTTP extension.
type HTTP struct{}

// Router is a dynamic.Router extension.
type Router struct{}

// RouterIng is a RouterIng extension for ingress provider annotations.
type RouterIng struct{}

// ToRouter converts RouterIng to a Router.
func (r RouterIng) ToRouter() Router { return Router{} }
