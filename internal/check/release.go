package check

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// authModeSince is the first sfInvokeAPI release (5.<minor>) that reads
// SF_AUTH_MODE; v5.26 ignores it and always logs in with the
// username-password flow (contract §4 [upstream-newer]).
const authModeSince = 28

var (
	// A release in the function's description: "sfInvokeAPI v5.28", "5.28.1".
	descriptionReleaseRe = regexp.MustCompile(`(?i)(?:^|[^0-9.])v?5\.([0-9]+)(?:\.[0-9]+)?(?:$|[^0-9.])`)
	// A release in a layer's name: "sfLambdaLayer-v5_28", "...-v5-28".
	layerReleaseRe = regexp.MustCompile(`(?i)v5[._-]([0-9]+)`)
)

// functionRelease is the sfInvokeAPI minor release (5.<minor>) the function
// says it is, from its description or its layers' names; 0 when it says
// nothing (the template sets neither).
func functionRelease(fn *lambda.GetFunctionConfigurationOutput) int {
	if fn == nil {
		return 0
	}
	if m := descriptionReleaseRe.FindStringSubmatch(aws.ToString(fn.Description)); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	for _, l := range fn.Layers {
		name := arnPart(aws.ToString(l.Arn), 5) // layer:<name>:<version>
		if m := layerReleaseRe.FindStringSubmatch(name); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}

// authFlow is the login flow the function uses.
type authFlow struct {
	// clientCredentials: the function logs in with the client-credentials
	// flow (SF_AUTH_MODE=client_credentials on v5.28+).
	clientCredentials bool
	// unsure: SF_AUTH_MODE asks for client credentials and sfprobe cannot
	// tell the function's release; on v5.26 it uses the password flow.
	unsure bool
	// ignored: the function's release is known not to read SF_AUTH_MODE.
	ignored bool
	release int
}

func authFlowOf(fn *lambda.GetFunctionConfigurationOutput) authFlow {
	rel := functionRelease(fn)
	f := authFlow{release: rel}
	mode := strings.ToLower(envOf(fn)[EnvAuthMode])
	f.ignored = mode != "" && rel > 0 && rel < authModeSince
	if mode != authModeClient || f.ignored {
		return f
	}
	f.clientCredentials, f.unsure = true, rel == 0
	return f
}
