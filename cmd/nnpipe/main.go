// Command nnpipe runs machine-learning experiments described by one YAML
// file as a cached pipeline of stages. See README.md.
package main

import (
	"context"
	"os"

	"github.com/nnpipe/nnpipe/pipeline/gcpolicy"
)

func main() {
	// The collector's policy is the process's only runtime setting, made
	// once here rather than in Main, which tests and benchmarks call
	// in-process. It holds until the process exits.
	gcpolicy.Apply()
	os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
