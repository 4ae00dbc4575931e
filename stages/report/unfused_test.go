//go:build 386 || (amd64 && !amd64.v3)

package report

// fusedMultiplyAdd: Go rounds every product on this CPU (386, amd64 before
// GOAMD64=v3), as the golden figures were drawn.
const fusedMultiplyAdd = false
