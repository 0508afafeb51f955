package sandbox

import "github.com/sfprobe/sfprobe/internal/sim"

// useCredentials makes org accept c and fx's secret hold c and the cached
// token authToken; nil c and an empty token keep the defaults.
func useCredentials(org *sim.Org, fx *sim.DefaultFixture, c *sim.Credentials, authToken string) {
	if c == nil && authToken == "" {
		return
	}
	creds := fx.Credentials
	if c != nil {
		creds = *c
		if creds.Username == "" {
			creds.Username = fx.Credentials.Username
		}
		fx.Env["SF_USERNAME"] = creds.Username
		org.SetCredentials(creds)
		fx.Credentials = creds
	}
	fx.SecretString = sim.SecretString(creds, authToken)
}
