package cli

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/dockerconfig"
	"github.com/regauth/regauth/server"
)

// robot is the admin API's robot JSON.
type robot struct {
	Name        string       `json:"name"`
	Owner       string       `json:"owner,omitempty"`
	Description string       `json:"description,omitempty"`
	ExpiresAt   *time.Time   `json:"expires_at,omitempty"`
	Disabled    bool         `json:"disabled"`
	CreatedAt   time.Time    `json:"created_at"`
	LastUsed    *time.Time   `json:"last_used,omitempty"`
	Permissions []permission `json:"permissions,omitempty"`
	Secret      string       `json:"secret,omitempty"`
}

type permission struct {
	ID      int64  `json:"id,omitempty"`
	Subject string `json:"subject,omitempty"`
	Pattern string `json:"pattern"`
	Role    string `json:"role"`
}

func newRobotCmd(sys *Sys, g *globalOptions) *cobra.Command {
	api := &apiFlags{}
	c := &cobra.Command{
		Use:   "robot",
		Short: "Manage robot accounts on a regauth token server",
		Long: `Robots are machine accounts named namespace+name with repository-scoped
read, write or admin permissions and a 256-bit secret shown once. These
commands talk to the admin API of the regauth serve that guards --registry,
with the credential the store holds for that registry (log in as an
administrator, or as the user whose namespace the robot is in).`,
	}
	api.add(c)
	c.AddCommand(robotCreateCmd(sys, g, api), robotListCmd(sys, g, api), robotShowCmd(sys, g, api),
		robotRegenerateCmd(sys, g, api), robotToggleCmd(sys, g, api, "disable", true), robotToggleCmd(sys, g, api, "enable", false),
		robotDeleteCmd(sys, g, api), robotConfigCmd(sys, api), robotGrantCmd(sys, g, api))
	return c
}

func parsePermissions(specs []string) ([]permission, error) {
	var out []permission
	for _, s := range specs {
		pat, role, ok := strings.Cut(s, "=")
		if !ok || pat == "" {
			return nil, usagef("write PATTERN=ROLE, e.g. 'team/**=write' (roles: read, write, admin)", "--permission %q", s)
		}
		out = append(out, permission{Pattern: pat, Role: role})
	}
	return out, nil
}

func robotCreateCmd(sys *Sys, g *globalOptions, api *apiFlags) *cobra.Command {
	var perms []string
	var desc, expires, formatName string
	var out outputFlag
	c := &cobra.Command{
		Use:   "create NAMESPACE+NAME [--permission PATTERN=ROLE ...]",
		Short: "Create a robot; its secret is shown once",
		Example: `  regauth robot create team+ci --registry registry.example.com --permission 'team/**=write'
  regauth robot create team+puller --permission 'team/app=read' --expires 720h --format kubesecret | kubectl apply -f -`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			ps, err := parsePermissions(perms)
			if err != nil {
				return err
			}
			in := map[string]any{"name": a[0], "description": desc, "permissions": ps}
			if expires != "" {
				t, err := parseExpiry(expires, sys.Now())
				if err != nil {
					return err
				}
				in["expires_at"] = t.Format(time.RFC3339)
			}
			var r robot
			if err := api.call(c, sys, g, "POST", "/api/v1/robots", in, &r); err != nil {
				return err
			}
			return showSecret(c, sys, api, r, formatName, out)
		},
	}
	c.Flags().StringArrayVar(&perms, "permission", nil, "PATTERN=ROLE: exact repo, 'team/*', 'team/**' or '**' with read, write or admin (repeatable)")
	c.Flags().StringVar(&desc, "description", "", "what the robot is for")
	c.Flags().StringVar(&expires, "expires", "", "lifetime (e.g. 720h) or RFC 3339 time")
	c.Flags().String("secret-file", "", "also write the secret to this file (0600)")
	c.Flags().StringVar(&formatName, "format", "login", "how to show the credential: "+strings.Join(server.RobotConfigFormats, ", "))
	out.add(c)
	return c
}

// secretFile is where --secret-file writes a new secret (0600, atomic).
// showSecret prints a new or regenerated secret the one time it is known,
// and with --secret-file also keeps it in a 0600 file.
func showSecret(c *cobra.Command, sys *Sys, api *apiFlags, r robot, formatName string, out outputFlag) error {
	if err := out.check(); err != nil {
		return err
	}
	if f, _ := c.Flags().GetString("secret-file"); f != "" {
		if err := dockerconfig.WriteAtomic(c.Context(), f, []byte(r.Secret+"\n"), 0o600); err != nil {
			return fmt.Errorf("--secret-file: %w", err)
		}
		fmt.Fprintf(sys.Err, "robot %s: secret written to %s (0600)\n", r.Name, f)
	}
	if out.json() {
		return writeJSON(sys.Out, r)
	}
	host, _ := api.host(sys)
	data, _, err := server.RenderRobotConfig(server.RobotConfigRequest{Format: formatName, Registry: host, Robot: r.Name, Secret: r.Secret})
	if err != nil {
		return err
	}
	fmt.Fprintf(sys.Err, "robot %s: this is the only time its secret is shown; store it now (regauth robot regenerate makes a new one)\n", r.Name)
	_, err = sys.Out.Write(withNewline(data))
	return err
}

func parseExpiry(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("use a duration such as 720h or a time such as 2027-01-31T00:00:00Z", "--expires %q", s)
	}
	return t, nil
}

func robotListCmd(sys *Sys, g *globalOptions, api *apiFlags) *cobra.Command {
	var ns string
	var out outputFlag
	c := &cobra.Command{
		Use:   "list",
		Short: "List robots",
		Args:  args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			var rs []robot
			if err := api.call(c, sys, g, "GET", "/api/v1/robots?namespace="+url.QueryEscape(ns), nil, &rs); err != nil {
				return err
			}
			if out.json() {
				return writeJSON(sys.Out, rs)
			}
			tw := tabwriter.NewWriter(sys.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSTATE\tEXPIRES\tLAST USED\tDESCRIPTION")
			for _, r := range rs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, state(r, sys.Now()), when(r.ExpiresAt), when(r.LastUsed), r.Description)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&ns, "namespace", "", "only this namespace")
	out.add(c)
	return c
}

func state(r robot, now time.Time) string {
	switch {
	case r.Disabled:
		return "disabled"
	case r.ExpiresAt != nil && !now.Before(*r.ExpiresAt):
		return "expired"
	}
	return "active"
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func robotShowCmd(sys *Sys, g *globalOptions, api *apiFlags) *cobra.Command {
	var out outputFlag
	c := &cobra.Command{
		Use:   "show NAMESPACE+NAME",
		Short: "Show a robot and its permissions",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			if err := out.check(); err != nil {
				return err
			}
			var r robot
			if err := api.call(c, sys, g, "GET", "/api/v1/robots/"+url.PathEscape(a[0]), nil, &r); err != nil {
				return err
			}
			if out.json() {
				return writeJSON(sys.Out, r)
			}
			fmt.Fprintf(sys.Out, "name:        %s\nstate:       %s\nowner:       %s\ndescription: %s\ncreated:     %s\nexpires:     %s\nlast used:   %s\npermissions:\n",
				r.Name, state(r, sys.Now()), dash(r.Owner), dash(r.Description), r.CreatedAt.UTC().Format(time.RFC3339), when(r.ExpiresAt), when(r.LastUsed))
			for _, p := range r.Permissions {
				fmt.Fprintf(sys.Out, "  %-40s %s\n", p.Pattern, p.Role)
			}
			return nil
		},
	}
	out.add(c)
	return c
}

func robotRegenerateCmd(sys *Sys, g *globalOptions, api *apiFlags) *cobra.Command {
	var formatName string
	var out outputFlag
	c := &cobra.Command{
		Use:   "regenerate NAMESPACE+NAME",
		Short: "Replace a robot's secret; the old one stops working at once",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			var r robot
			if err := api.call(c, sys, g, "POST", "/api/v1/robots/"+url.PathEscape(a[0])+"/regenerate", nil, &r); err != nil {
				return err
			}
			return showSecret(c, sys, api, r, formatName, out)
		},
	}
	c.Flags().StringVar(&formatName, "format", "login", "how to show the credential: "+strings.Join(server.RobotConfigFormats, ", "))
	c.Flags().String("secret-file", "", "also write the secret to this file (0600)")
	out.add(c)
	return c
}

func robotToggleCmd(sys *Sys, g *globalOptions, api *apiFlags, verb string, disabled bool) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " NAMESPACE+NAME",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " a robot",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			if err := api.call(c, sys, g, "PATCH", "/api/v1/robots/"+url.PathEscape(a[0]), map[string]any{"disabled": disabled}, nil); err != nil {
				return err
			}
			fmt.Fprintf(sys.Out, "robot %s %sd\n", a[0], verb)
			return nil
		},
	}
}

func robotDeleteCmd(sys *Sys, g *globalOptions, api *apiFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAMESPACE+NAME",
		Short: "Delete a robot and its permissions",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			if err := api.call(c, sys, g, "DELETE", "/api/v1/robots/"+url.PathEscape(a[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(sys.Out, "robot %s deleted\n", a[0])
			return nil
		},
	}
}

func robotGrantCmd(sys *Sys, g *globalOptions, api *apiFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "grant NAMESPACE+NAME PATTERN=ROLE...",
		Short:   "Add permissions to a robot",
		Example: "  regauth robot grant team+ci 'team/app=admin' 'shared/**=read'",
		Args:    args(cobra.MinimumNArgs(2)),
		RunE: func(c *cobra.Command, a []string) error {
			ps, err := parsePermissions(a[1:])
			if err != nil {
				return err
			}
			cl, err := api.connect(c, sys, g)
			if err != nil {
				return err
			}
			for _, p := range ps {
				p.Subject = "robot:" + a[0]
				if err := cl.do(c.Context(), "POST", "/api/v1/permissions", p, nil); err != nil {
					return err
				}
				fmt.Fprintf(sys.Out, "%s: %s on %s\n", a[0], p.Role, p.Pattern)
			}
			return nil
		},
	}
}

// robotConfigCmd renders ready-made credentials locally: the server keeps
// only a hash of the secret, so whoever holds it supplies it on stdin.
func robotConfigCmd(sys *Sys, api *apiFlags) *cobra.Command {
	var formatName, name string
	var fromStdin bool
	c := &cobra.Command{
		Use:   "config NAMESPACE+NAME --format FORMAT --secret-stdin",
		Short: "Render a robot's credential as docker/podman config, Kubernetes Secret, rkt, Mesos tarball or Butane",
		Example: `  regauth robot config team+ci --registry registry.example.com --format kubesecret --secret-stdin < secret.txt
  regauth robot config team+ci --format mesos --secret-stdin < secret.txt > docker.tar.gz`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			if !fromStdin {
				return usagef("pipe the secret shown at creation: --secret-stdin < secret.txt", "robot config: the secret is needed (the server keeps only its hash)")
			}
			host, err := api.host(sys)
			if err != nil {
				return err
			}
			line, err := bufio.NewReader(io.LimitReader(sys.In, 4096)).ReadString('\n')
			if err != nil && err != io.EOF {
				return err
			}
			secret := strings.TrimSpace(line)
			if secret == "" {
				return usagef("pipe the secret on stdin", "robot config: empty secret")
			}
			data, _, err := server.RenderRobotConfig(server.RobotConfigRequest{Format: formatName, Registry: host, Robot: a[0], Secret: secret, Name: name})
			if err != nil {
				return &usageError{err: fmt.Errorf("robot config: %w", err)}
			}
			_, err = sys.Out.Write(data)
			return err
		},
	}
	c.Flags().StringVar(&formatName, "format", "dockerconfig", strings.Join(server.RobotConfigFormats, ", "))
	c.Flags().StringVar(&name, "name", "", "kubesecret: Secret name (default NS-NAME-pull-secret)")
	c.Flags().BoolVar(&fromStdin, "secret-stdin", false, "read the robot's secret from standard input")
	return c
}
