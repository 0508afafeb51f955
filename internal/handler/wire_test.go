package handler_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/assume"
	"github.com/sfprobe/sfprobe/internal/handler"
)

// issuingSTS issues the role's key.
type issuingSTS struct{}

func (issuingSTS) AssumeRole(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIAROLEKEY"), SecretAccessKey: aws.String("s"),
		SessionToken: aws.String("t"), Expiration: aws.Time(time.Now().Add(time.Hour))}}, nil
}

func (issuingSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{}, nil
}

// TestConfigFor_connectPerCallRegion: a target's Connect client, built
// with ConfigFor from the role's credentials, signs with the role's key
// also when ConnectAccess sends a call to the instance's region.
func TestConfigFor_connectPerCallRegion(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"LambdaFunctions":[]}`))
	}))
	defer srv.Close()
	source := aws.Config{Region: "eu-west-2", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AKIDSOURCE", "s", "")}
	roles := assume.NewCache(func(string) assume.STS { return issuingSTS{} })
	creds, err := roles.Resolve(context.Background(), assume.Key{RoleARN: "arn:aws:iam::210987654321:role/r", RunID: "r", Region: "us-east-1"})
	require.NoError(t, err)

	c := connect.NewFromConfig(handler.ConfigFor(source, "us-east-1", creds))
	_, err = c.ListLambdaFunctions(context.Background(), &connect.ListLambdaFunctionsInput{InstanceId: aws.String("i")}, func(o *connect.Options) { o.Region = "ap-southeast-2" })
	require.NoError(t, err)
	require.Len(t, auth, 1)
	assert.Contains(t, auth[0], "Credential=ASIAROLEKEY/", "the role's credentials")
	assert.True(t, strings.Contains(auth[0], "/ap-southeast-2/connect/"), "the instance's region: %s", auth[0])

	home := connect.NewFromConfig(handler.ConfigFor(source, "", nil))
	_, err = home.ListLambdaFunctions(context.Background(), &connect.ListLambdaFunctionsInput{InstanceId: aws.String("i")})
	require.NoError(t, err)
	assert.Contains(t, auth[1], "Credential=AKIDSOURCE/", "without a role: the function's own credentials")
	assert.Contains(t, auth[1], "/eu-west-2/connect/")
}
