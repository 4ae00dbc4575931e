// Command nnpipe runs machine-learning experiments described by one YAML
// file as a cached pipeline of stages. See README.md.
package main

import (
	"context"
	"os"
)

func main() { os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }
