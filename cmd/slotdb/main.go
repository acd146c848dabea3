// Command slotdb is the operator's tool: import, export, bench and check. Each subcommand
// lands with its issue; until then it says so.
package main

import (
	"fmt"
	"os"
)

const usage = `Usage: slotdb <command> [options]

Commands:
  import SOURCE... --to HOST:PORT [--replace] [--db N]
             load dump.rdb / appendonly.aof / appendonlydir files into a node or a cluster
  export --from HOST:PORT (--rdb FILE | --aof DIR) [--rdb-version 10|11]
             write a node's or a cluster's whole dataset as one standalone file
  bench migrate [--keys N] [--value-size B] [--slots N] [--json FILE] [--svg FILE]
             measure slot migration throughput (native vs MIGRATE vs Redis reshard)
  version    print the version

(check is not implemented yet)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "import":
		os.Exit(cmdImport(os.Args[2:]))
	case "export":
		os.Exit(cmdExport(os.Args[2:]))
	case "bench":
		os.Exit(cmdBench(os.Args[2:]))
	case "version":
		fmt.Println("slotdb 0.1.0")
	default:
		fmt.Fprintf(os.Stderr, "slotdb: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
}
