package cli

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

type apiUser struct {
	Name      string    `json:"name"`
	Admin     bool      `json:"admin"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

func newUserCmd(sys *Sys, g *globalOptions) *cobra.Command {
	api := &apiFlags{}
	c := &cobra.Command{
		Use:   "user",
		Short: "Manage users on a regauth token server",
	}
	api.add(c)
	readPassword := func() (string, error) {
		b, err := io.ReadAll(io.LimitReader(sys.In, 4096))
		if err != nil {
			return "", err
		}
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return "", usagef("pipe the password on stdin: --password-stdin < pw.txt", "empty password")
		}
		return pw, nil
	}
	var admin bool
	create := &cobra.Command{
		Use:   "create NAME --password-stdin [--admin]",
		Short: "Create a user (the password comes from stdin)",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			pw, err := readPassword()
			if err != nil {
				return err
			}
			var u apiUser
			if err := api.call(c, sys, g, "POST", "/api/v1/users", map[string]any{"name": a[0], "password": pw, "admin": admin}, &u); err != nil {
				return err
			}
			fmt.Fprintf(sys.Out, "user %s created\n", u.Name)
			return nil
		},
	}
	create.Flags().BoolVar(&admin, "admin", false, "make the user an administrator")
	create.Flags().Bool("password-stdin", true, "read the password from standard input (the only way)")
	var out outputFlag
	list := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			var us []apiUser
			if err := api.call(c, sys, g, "GET", "/api/v1/users", nil, &us); err != nil {
				return err
			}
			if out.json() {
				return writeJSON(sys.Out, us)
			}
			tw := tabwriter.NewWriter(sys.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tADMIN\tSTATE\tCREATED")
			for _, u := range us {
				st := "active"
				if u.Disabled {
					st = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%v\t%s\t%s\n", u.Name, u.Admin, st, u.CreatedAt.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	out.add(list)
	passwd := &cobra.Command{
		Use:   "passwd NAME --password-stdin",
		Short: "Set a user's password; their refresh tokens stop working",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			pw, err := readPassword()
			if err != nil {
				return err
			}
			if err := api.call(c, sys, g, "PATCH", "/api/v1/users/"+url.PathEscape(a[0]), map[string]any{"password": pw}, nil); err != nil {
				return err
			}
			fmt.Fprintf(sys.Out, "password of %s changed\n", a[0])
			return nil
		},
	}
	passwd.Flags().Bool("password-stdin", true, "read the password from standard input (the only way)")
	patch := func(verb string, body map[string]any, done string) *cobra.Command {
		return &cobra.Command{
			Use:   verb + " NAME",
			Short: strings.ToUpper(verb[:1]) + verb[1:] + " a user",
			Args:  args(cobra.ExactArgs(1)),
			RunE: func(c *cobra.Command, a []string) error {
				method, path := "PATCH", "/api/v1/users/"+url.PathEscape(a[0])
				if body == nil {
					method = "DELETE"
				}
				if err := api.call(c, sys, g, method, path, body, nil); err != nil {
					return err
				}
				fmt.Fprintf(sys.Out, "user %s %s\n", a[0], done)
				return nil
			},
		}
	}
	c.AddCommand(create, list, passwd,
		patch("disable", map[string]any{"disabled": true}, "disabled"),
		patch("enable", map[string]any{"disabled": false}, "enabled"),
		patch("delete", nil, "deleted"))
	return c
}
