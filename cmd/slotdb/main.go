// Command slotdb is the operator's tool: import, export, bench and check. Each subcommand
// lands with its issue; until then it says so.
package main

import (
	"fmt"
	"os"
)

const usage = `Usage: slotdb <command> [options]

Commands:
  version    print the version

(import, export, bench and check are not implemented yet)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "version":
		fmt.Println("slotdb 0.1.0")
	default:
		fmt.Fprintf(os.Stderr, "slotdb: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
}
