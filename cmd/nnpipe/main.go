// Command nnpipe runs machine-learning experiments described by one YAML
// file as a cached pipeline of stages. See README.md.
package main

import (
	"context"
	"os"

	"github.com/nnpipe/nnpipe/pipeline/gcpolicy"
	"github.com/nnpipe/nnpipe/pipeline/hugepages"
)

func main() {
	// The heap's huge pages and the collector's policy are the process's
	// only runtime settings, made once here rather than in Main, which
	// tests and benchmarks call in-process. They hold until the process
	// exits.
	hugepages.Prepare()
	gcpolicy.Apply()
	os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
