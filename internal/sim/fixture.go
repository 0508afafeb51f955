package sim

// The default test data: the contact sfprobe's default phoneLookup finds
// (the Id is the one in upstream's sample events), the API user and the
// Connected App.
const (
	DefaultContactID = "0031r000026MVPIAA4"
	DefaultPhone     = "+441122334455"
	DefaultHost      = "https://sfprobe-sim.my.salesforce.com"
	DefaultVersion   = "v60.0"
	DefaultUsername  = "api.user@example.com"
	DefaultNamespace = "amazonconnect"
)

// DefaultFixture is what NewDefaultOrg seeded and what a deployment of the
// simulated sfInvokeAPI needs.
type DefaultFixture struct {
	ContactID   string
	Phone       string
	Credentials Credentials
	// SecretString is the credentials secret to store in Secrets Manager:
	// {"Password", "AccessToken", "ConsumerKey", "ConsumerSecret", "AuthToken": ""}.
	SecretString string
	// Env is the function's environment. SF_CREDENTIALS_SECRETS_MANAGER_ARN
	// is left out: set it to the secret's ARN.
	Env map[string]string
}

// NewDefaultOrg returns an org holding the default test contact (Jim Smith,
// phone +441122334455, no Email) and accepting the default credentials.
func NewDefaultOrg() (*Org, DefaultFixture) {
	creds := Credentials{
		Username:       DefaultUsername,
		Password:       "sim-Passw0rd",
		SecurityToken:  "simSecurityToken0123456789",
		ConsumerKey:    "3MVG9sim.ConsumerKey.sfprobe",
		ConsumerSecret: "sim-consumer-secret-0123456789",
	}
	org := NewOrg()
	org.SetCredentials(creds)
	id := org.AddContact(Contact{ID: DefaultContactID, Name: "Jim Smith", Phone: DefaultPhone})
	return org, DefaultFixture{
		ContactID:    id,
		Phone:        DefaultPhone,
		Credentials:  creds,
		SecretString: SecretString(creds, ""),
		Env: map[string]string{
			"SF_HOST":              DefaultHost,
			"SF_VERSION":           DefaultVersion,
			"SF_USERNAME":          DefaultUsername,
			"SF_PRODUCTION":        "false",
			"SF_ADAPTER_NAMESPACE": DefaultNamespace,
		},
	}
}

// SecretString is the credentials secret holding c and the cached OAuth
// token authToken, as sfInvokeAPI writes it back (json.dumps):
// {"Password", "AccessToken" (the security token), "ConsumerKey",
// "ConsumerSecret", "AuthToken"}.
func SecretString(c Credentials, authToken string) string {
	return string(pyDumps(newDict(
		"Password", c.Password,
		"AccessToken", c.SecurityToken,
		"ConsumerKey", c.ConsumerKey,
		"ConsumerSecret", c.ConsumerSecret,
		"AuthToken", authToken,
	)))
}
