package main

import "context"

func localCmd(ctx context.Context, a *app, args []string) (int, error) {
	return exitUsage, usagef("not implemented yet")
}
