// Package awsconf loads the AWS SDK configuration sfprobe runs with: region,
// profile, credentials and endpoint overrides, and builds the clients that
// need more than NewFromConfig to work against a local AWS (moto).
package awsconf

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// ErrNoRegion is returned by Load when neither an option, the environment nor
// the shared config names a region.
var ErrNoRegion = errors.New("no AWS region: set AWS_REGION or --region")

// Option tunes Load.
type Option func(*options)

type options struct {
	region   string
	profile  string
	endpoint string
	creds    aws.CredentialsProvider
	isolated bool
}

// Isolated ignores AWS_PROFILE and the shared config and credentials files:
// for a local AWS that must not depend on the user's setup.
func Isolated() Option {
	return func(o *options) { o.isolated = true }
}

// WithRegion sets the region, overriding AWS_REGION and the profile's region.
// An empty region has no effect.
func WithRegion(region string) Option {
	return func(o *options) { o.region = region }
}

// WithProfile selects a shared config profile, overriding AWS_PROFILE.
// An empty profile has no effect.
func WithProfile(profile string) Option {
	return func(o *options) { o.profile = profile }
}

// WithEndpoint sends the requests of every service to url (e.g. a local
// AWS), overriding AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.
// An empty url has no effect.
func WithEndpoint(url string) Option {
	return func(o *options) { o.endpoint = url }
}

// WithStaticCredentials uses fixed credentials instead of the default chain;
// meant for a local AWS, which accepts any.
func WithStaticCredentials(accessKeyID, secretAccessKey string) Option {
	return func(o *options) {
		o.creds = credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, "")
	}
}

// Load returns the SDK configuration. Beyond the options it honours what the
// SDK reads itself: AWS_REGION, AWS_PROFILE, the shared config and
// credentials files, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.
// It fails with ErrNoRegion when no region is set anywhere.
func Load(ctx context.Context, opts ...Option) (aws.Config, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var load []func(*config.LoadOptions) error
	if o.region != "" {
		load = append(load, config.WithRegion(o.region))
	}
	if o.profile != "" {
		load = append(load, config.WithSharedConfigProfile(o.profile))
	}
	if o.isolated {
		// Nothing from the environment or the shared files: a local AWS needs
		// only what the options say.
		if o.region == "" || o.creds == nil {
			return aws.Config{}, errors.New("load AWS config: an isolated configuration needs a region and credentials")
		}
		cfg := aws.NewConfig()
		cfg.Region, cfg.Credentials = o.region, aws.NewCredentialsCache(o.creds)
		if o.endpoint != "" {
			cfg.BaseEndpoint = aws.String(o.endpoint)
		}
		return *cfg, nil
	}
	if o.endpoint != "" {
		load = append(load, config.WithBaseEndpoint(o.endpoint))
	}
	if o.creds != nil {
		load = append(load, config.WithCredentialsProvider(o.creds))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, ErrNoRegion
	}
	return cfg, nil
}

// CloudWatch returns a CloudWatch client for cfg. The SDK's client speaks
// Smithy RPCv2 CBOR, which moto cannot parse; when an endpoint override is in
// effect (cfg.BaseEndpoint, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CLOUDWATCH or
// a profile's endpoint_url), the client speaks the awsquery protocol instead,
// which real CloudWatch accepts as well. optFns run before that choice.
func CloudWatch(cfg aws.Config, optFns ...func(*cloudwatch.Options)) *cloudwatch.Client {
	fns := append(optFns[:len(optFns):len(optFns)], func(o *cloudwatch.Options) {
		if endpointOverridden(o.BaseEndpoint) {
			o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
		}
	})
	return cloudwatch.NewFromConfig(cfg, fns...)
}

// endpointOverridden reports whether a client whose resolved BaseEndpoint is
// base talks to anything but the default AWS endpoints.
func endpointOverridden(base *string) bool {
	return (base != nil && *base != "") ||
		os.Getenv("AWS_ENDPOINT_URL") != "" ||
		os.Getenv("AWS_ENDPOINT_URL_CLOUDWATCH") != ""
}
