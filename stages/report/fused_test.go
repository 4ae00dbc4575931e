//go:build !386 && !(amd64 && !amd64.v3)

package report

// fusedMultiplyAdd: Go may fuse a·b + c into one rounding on this CPU
// (arm64, GOAMD64=v3 and others), in gonum/plot's geometry too.
const fusedMultiplyAdd = true
