package sandbox

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/handler"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
	"github.com/sfprobe/sfprobe/internal/metrics"
	"github.com/sfprobe/sfprobe/internal/pause"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
	sfnrun "github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/sim"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// The names of what the sandbox provisions.
const (
	TargetFunctionName = "sfInvokeAPI"
	TargetRoleName     = "sfInvokeAPI-role"
	SecretName         = "sfprobe-local/salesforce-credentials"
	KeyAlias           = "alias/sfprobe-local"
	OtherKeyAlias      = "alias/sfprobe-local-other"
	StateMachineName   = "sfprobe"
	WorkflowRoleName   = "sfprobe-workflow"
	FunctionPrefix     = "sfprobe-"
	PauseParameter     = "/sfprobe/local/paused"
	ConnectInstanceID  = "0c7b7a4e-1111-4a4a-9f9f-5f0e5e5e5e5e"
)

// Options configure a sandbox.
type Options struct {
	// Faults are fault names from Faults().
	Faults []string
	// Latency is added to every simulated sfInvokeAPI call.
	Latency sim.Latency
	// FunctionTimeout is the simulated sfInvokeAPI's timeout (default 6 s,
	// as the SAM template sets it).
	FunctionTimeout time.Duration
	// NoContactFlows leaves the Connect instance without flows calling the
	// function, so ConnectAccess judges no timeout budget: for fleet tests
	// that run many targets on one simulated function, whose durations
	// under that load say nothing of a real fleet's separate functions.
	NoContactFlows bool
	// Namespace of the metrics (default sfprobe).
	Namespace string
	// KeepCases keeps the closed test Cases.
	KeepCases bool
	// Moto options (python path, log file).
	Moto []MotoOption
	// Binaries, when set, is a directory holding <function>/bootstrap for
	// each of sfprobe's functions (built for this host): each runs under the
	// Lambda Runtime Interface Emulator instead of in-process, so the
	// binaries CDK ships are the ones that answer.
	Binaries string
	// Credentials, when set, are the API user's password and security
	// token and the Connected App's keys: the secret holds them and the
	// simulated org accepts them (Username stays the default when empty).
	Credentials *sim.Credentials
	// AuthToken is the cached OAuth token the secret starts with (default
	// none); the org never issued it, so the first call refreshes it.
	AuthToken string
	// Partner provisions a second simulated account (partner.go) whose
	// deployment sfprobe reaches through a role there.
	Partner bool
	// DefaultTargetsInS3 keeps the stack's default targets (the sandbox's
	// target) in the results bucket, at DefaultTargetsKey, as a stack whose
	// targets are too many for the definition does: a scheduled run then
	// fans out on the Distributed Map.
	DefaultTargetsInS3 bool
	// Logs, when set, receives every log line of sfprobe's functions (JSON)
	// and, with Binaries, everything the emulators and bootstraps print.
	Logs io.Writer
}

// Sandbox is a provisioned local AWS with a simulated sfInvokeAPI and
// sfprobe's functions and workflow, ready to execute.
type Sandbox struct {
	aws   *AWS
	owned bool
	cfg   aws.Config
	opts  Options

	Org      *sim.Org
	Function *sim.Function
	// Target is the default target the workflow probes.
	Target          check.Target
	StateMachineARN string
	KeyARN          string
	RoleARN         string

	sfn *sfn.Client
	cw  *cloudwatch.Client
	// lastLog is when an emulator last wrote to its log (with Binaries).
	lastLog *atomic.Int64
	// extractors stand in for CloudWatch Logs' metric extraction.
	extractors []*logExtractor
	// RIEs are the emulators serving the functions with Options.Binaries.
	RIEs map[string]*RIE
	// Connect is the Connect instance ConnectInstanceID: the function
	// added to it, a flow and a module calling it.
	Connect *ConnectInstance
	// orgServer serves the simulated org to SalesforceLogin (loopback).
	orgServer *httptest.Server
	sfHTTP    *http.Client
	partner   *Partner
}

// Start starts moto and the gateway, provisions every resource and serves
// sfprobe's functions. Both run until Close or until ctx is done.
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	a, err := StartSandboxAWS(ctx, opts.Moto...)
	if err != nil {
		return nil, err
	}
	s, err := Provision(ctx, a, opts)
	if err != nil {
		_ = a.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// Provision resets a running local AWS and provisions a sandbox on it:
// tests share one moto process across many sandboxes this way. Closing the
// returned Sandbox leaves a running.
func Provision(ctx context.Context, a *AWS, opts Options) (*Sandbox, error) {
	if opts.Namespace == "" {
		opts.Namespace = metrics.DefaultNamespace
	}
	if err := a.Moto().Reset(ctx); err != nil {
		return nil, fmt.Errorf("reset moto: %w", err)
	}
	a.Gateway().Intercept(nil)
	a.Gateway().ServeConnect(nil)
	a.Router().Reset()
	simFaults, awsFault, err := splitFaults(opts.Faults)
	if err != nil {
		return nil, err
	}
	cfg, err := a.Config(ctx)
	if err != nil {
		return nil, err
	}
	s := &Sandbox{aws: a, cfg: cfg, opts: opts, sfn: sfn.NewFromConfig(cfg), cw: awsconf.CloudWatch(cfg)}
	if err := s.provision(ctx, simFaults, awsFault); err != nil {
		return nil, fmt.Errorf("provision the sandbox: %w", err)
	}
	return s, nil
}

// Close ends the sandbox's emulators, and moto and the gateway when Start
// made them.
func (s *Sandbox) Close() error {
	for _, r := range s.RIEs {
		_ = r.Stop()
	}
	if s.orgServer != nil {
		s.orgServer.Close()
	}
	if !s.owned {
		return nil
	}
	return s.aws.Close()
}

// AWS is the sandbox's local AWS (endpoint, environment).
func (s *Sandbox) AWS() *AWS { return s.aws }

// SalesforceHTTP is an HTTP client whose requests reach the simulated org
// (SalesforceLogin's client for the sandbox).
func (s *Sandbox) SalesforceHTTP() *http.Client { return s.sfHTTP }

// SalesforceEndpoint is the simulated org's loopback URL.
func (s *Sandbox) SalesforceEndpoint() string { return s.orgServer.URL }

// Config is an SDK configuration for the sandbox.
func (s *Sandbox) Config() aws.Config { return s.cfg }

// Deps are the checks' clients pointed at the sandbox: its AWS, its Connect
// instance and its simulated org. sfprobe's functions in the sandbox use
// them, and so does a run of the checks from this process (`sfprobe run`'s
// engine).
func (s *Sandbox) Deps() check.Deps {
	return check.DepsFrom(check.Clients{
		Lambda:         awslambda.NewFromConfig(s.cfg),
		SecretsManager: secretsmanager.NewFromConfig(s.cfg),
		KMS:            kms.NewFromConfig(s.cfg),
		IAM:            iam.NewFromConfig(s.cfg),
		Connect:        connect.NewFromConfig(s.cfg),
		HTTP:           s.SalesforceHTTP(),
	})
}

func (s *Sandbox) provision(ctx context.Context, simFaults []sim.FaultSpec, fault map[string]bool) error {
	iamc := iam.NewFromConfig(s.cfg)
	kmsc := kms.NewFromConfig(s.cfg)
	smc := secretsmanager.NewFromConfig(s.cfg)
	lc := awslambda.NewFromConfig(s.cfg)

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"%s"},"Action":"sts:AssumeRole"}]}`
	role, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(TargetRoleName), AssumeRolePolicyDocument: aws.String(fmt.Sprintf(trust, "lambda.amazonaws.com"))})
	if err != nil {
		return fmt.Errorf("create role %s: %w", TargetRoleName, err)
	}
	s.RoleARN = aws.ToString(role.Role.Arn)
	wfRole, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(WorkflowRoleName), AssumeRolePolicyDocument: aws.String(fmt.Sprintf(trust, "states.amazonaws.com"))})
	if err != nil {
		return fmt.Errorf("create role %s: %w", WorkflowRoleName, err)
	}

	key, err := s.createKey(ctx, kmsc, KeyAlias, "sfInvokeAPI credentials")
	if err != nil {
		return err
	}
	s.KeyARN = key
	expectedKey := key
	if fault[FaultKeyMismatch] {
		if expectedKey, err = s.createKey(ctx, kmsc, OtherKeyAlias, "another key"); err != nil {
			return err
		}
	}
	if fault[FaultKeyDisabled] {
		// moto's DisableKey takes the key id, not the ARN.
		if _, err := kmsc.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(key[strings.LastIndexByte(key, '/')+1:])}); err != nil {
			return fmt.Errorf("disable key: %w", err)
		}
	}

	org, fx := sim.NewDefaultOrg()
	authToken := s.opts.AuthToken
	if orgFaults := orgFaultsOf(simFaults); len(orgFaults) > 0 {
		// The function cached a session before the org changed: the
		// replay rides it, only a fresh login sees the fault.
		if authToken == "" {
			authToken = org.IssueToken()
		}
		defer func() {
			for _, f := range orgFaults {
				org.ApplyOrgFault(f, fx.Env[check.EnvVersion])
			}
		}()
	}
	useCredentials(org, &fx, s.opts.Credentials, authToken)
	secret := fx.SecretString
	if fault[FaultSecretMissingKey] {
		if secret, err = withoutKey(secret, "AccessToken"); err != nil {
			return err
		}
	}
	sec, err := smc.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(SecretName), KmsKeyId: aws.String(key), SecretString: aws.String(secret),
		Description: aws.String("Salesforce API user credentials for sfInvokeAPI (simulated org)"),
	})
	if err != nil {
		return fmt.Errorf("create secret: %w", err)
	}
	secretARN := aws.ToString(sec.ARN)

	env := fx.Env
	env[check.EnvSecretARN] = secretARN
	if fault[FaultTargetMisconfigured] {
		env[check.EnvHost] = "https://login.salesforce.com"
	}
	if fault[FaultHostWithoutScheme] {
		env[check.EnvHost] = strings.TrimPrefix(env[check.EnvHost], "https://")
	}
	if fault[FaultSecretARNEmpty] {
		env[check.EnvSecretARN] = ""
	}
	fn, err := lc.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String(TargetFunctionName),
		Runtime:      lambdatypes.RuntimePython312,
		Handler:      aws.String("sfInvokeAPI.lambda_handler"),
		Role:         aws.String(s.RoleARN),
		Timeout:      aws.Int32(int32(s.functionTimeout().Seconds())),
		MemorySize:   aws.Int32(TargetMemorySizeMB),
		Code:         &lambdatypes.FunctionCode{ZipFile: placeholderZip()},
		Environment:  &lambdatypes.Environment{Variables: env},
		Description:  aws.String("simulated sfInvokeAPI v5.26 (served by sfprobe's simulator)"),
	})
	if err != nil {
		return fmt.Errorf("create function %s: %w", TargetFunctionName, err)
	}
	connectARN := "arn:aws:connect:" + Region + ":" + AccountID + ":instance/" + ConnectInstanceID
	if !fault[FaultNoConnectPermission] {
		if _, err := lc.AddPermission(ctx, &awslambda.AddPermissionInput{
			FunctionName: aws.String(TargetFunctionName), StatementId: aws.String("connect-invoke"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("connect.amazonaws.com"),
			SourceArn: aws.String(connectARN), SourceAccount: aws.String(AccountID),
		}); err != nil {
			return fmt.Errorf("add the Connect permission: %w", err)
		}
	}
	if fault[FaultAccessDenied] {
		s.aws.Gateway().Intercept(denyGetSecretValue(secretARN))
	}
	s.Connect = newConnectInstance(aws.ToString(fn.FunctionArn), fault[FaultNotAssociated], s.opts.NoContactFlows)
	s.aws.Gateway().ServeConnect(s.Connect)

	s.Org = org
	s.orgServer = httptest.NewServer(org.Handler())
	if s.sfHTTP, err = check.NewHTTPClient(s.orgServer.URL); err != nil {
		return err
	}
	footprint := sim.DefaultFootprint
	if fault[FaultMemoryNearlyFull] {
		footprint.MemoryUsedMB = nearlyFullMB
	}
	s.Function = sim.NewFunction(org, smc, env, sim.WithFaultSpecs(simFaults...), sim.WithLatency(s.opts.Latency), sim.WithTimeout(s.functionTimeout()), sim.WithFootprint(footprint))
	s.aws.Router().Handle(TargetFunctionName, newPlatform(s.Function, TargetMemorySizeMB, ExecutedVersion))
	s.Target = check.Target{
		Function:           aws.ToString(fn.FunctionArn),
		Phone:              fx.Phone,
		Fields:             events.DefaultFields,
		SecretARN:          secretARN,
		KMSKeyARN:          expectedKey,
		ConnectInstanceARN: connectARN,
		Name:               TargetFunctionName,
	}
	if fault[FaultWrongVersion] {
		s.Target.ExpectVersion = ExpectedVersion
	}
	if s.opts.Partner {
		if err := s.provisionPartner(ctx); err != nil {
			return err
		}
	}
	if s.opts.Binaries != "" {
		if err := s.serveBinaries(ctx); err != nil {
			return err
		}
	} else {
		s.serveFunctions()
	}
	if fault[FaultStepResponseLost] {
		name := FunctionPrefix + "check-salesforce"
		if fn, ok := s.aws.Router().Lookup("/2015-03-31/functions/" + name + "/invocations"); ok {
			s.aws.Router().Handle(name, loseStepResponse(fn))
		}
	}

	if err := pause.Write(ctx, ssm.NewFromConfig(s.cfg), PauseParameter, pause.Resumed); err != nil {
		return err
	}

	targets, err := json.Marshal([]check.Target{s.Target})
	if err != nil {
		return err
	}
	if err := s.createResultsBucket(ctx); err != nil {
		return err
	}
	subs := map[string]string{
		workflow.PauseParameterName: PauseParameter,
		workflow.DefaultTargets:     string(targets),
	}
	dist, err := s.distributedSubs(ctx, []check.Target{s.Target})
	if err != nil {
		return err
	}
	for k, v := range dist {
		subs[k] = v
	}
	for _, f := range workflow.Functions {
		subs[f.Key] = s.aws.FunctionARN(FunctionPrefix + f.Name)
	}
	def, err := workflow.Render(subs)
	if err != nil {
		return err
	}
	sm, err := s.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(StateMachineName), Definition: aws.String(def), RoleArn: wfRole.Role.Arn,
		Type: sfntypes.StateMachineTypeStandard,
	})
	if err != nil {
		return fmt.Errorf("create state machine: %w", err)
	}
	s.StateMachineARN = aws.ToString(sm.StateMachineArn)
	return nil
}

func (s *Sandbox) functionTimeout() time.Duration {
	if s.opts.FunctionTimeout > 0 {
		return s.opts.FunctionTimeout
	}
	return 6 * time.Second
}

func (s *Sandbox) createKey(ctx context.Context, kmsc *kms.Client, alias, desc string) (string, error) {
	k, err := kmsc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(desc), KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		return "", fmt.Errorf("create key: %w", err)
	}
	if _, err := kmsc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
		return "", fmt.Errorf("create alias %s: %w", alias, err)
	}
	return aws.ToString(k.KeyMetadata.Arn), nil
}

// serveFunctions registers sfprobe's four functions with the gateway: the
// same handler code the functions/ binaries run, with SDK clients pointed at
// the sandbox.
func (s *Sandbox) serveFunctions() {
	deps, regions := s.Deps(), s.regions()
	opts := []check.Option{check.WithCallTimeout(s.functionTimeout() + sfinvoke.DefaultCallTimeout - 6*time.Second)}
	log := functionLogger(s.opts.Logs)
	fns := map[string]lambda.Handler{
		"check-config":     lambda.NewHandler((&handler.CheckConfig{Deps: deps, Regions: regions, Opts: opts, Log: log("check-config")}).Handle),
		"check-salesforce": lambda.NewHandler((&handler.CheckSalesforce{Deps: deps, Regions: regions, Opts: opts, Log: log("check-salesforce")}).Handle),
		"cleanup":          lambda.NewHandler((&handler.Cleanup{Deps: deps, Regions: regions, Opts: opts, KeepCases: s.opts.KeepCases, Log: log("cleanup")}).Handle),
		// As in AWS by default: metrics in the embedded metric format on the
		// function's log, extracted into the local CloudWatch.
		"publish-metrics": lambda.NewHandler((&handler.PublishMetrics{Publisher: metrics.NewEMF(s.extractor(s.opts.Logs), s.opts.Namespace), Log: log("publish-metrics"),
			Store: handler.NewObjectStore(s.cfg)}).Handle),
	}
	for _, f := range workflow.Functions {
		s.aws.Router().Handle(FunctionPrefix+f.Name, lambdahttp.FromHandler(fns[f.Name]))
	}
}

// serveBinaries starts each function's bootstrap under the emulator, with
// the environment CDK gives it and the sandbox's endpoint.
func (s *Sandbox) serveBinaries(ctx context.Context) error {
	s.RIEs = map[string]*RIE{}
	s.lastLog = &atomic.Int64{}
	env := append(s.aws.Env(),
		workflow.EnvMetricNamespace+"="+s.opts.Namespace,
		workflow.EnvCallTimeout+"="+(s.functionTimeout()+sfinvoke.DefaultCallTimeout-6*time.Second).String(),
		fmt.Sprintf("%s=%t", workflow.EnvKeepCases, s.opts.KeepCases),
		workflow.EnvMetricsTransport+"="+workflow.MetricsEMF,
		workflow.EnvSalesforceEndpoint+"="+s.orgServer.URL)
	logs := lockedWriter(s.opts.Logs)
	for _, f := range workflow.Functions {
		name := FunctionPrefix + f.Name
		var out io.Writer = quietWriter{w: logs, last: s.lastLog}
		if f.Name == "publish-metrics" {
			out = quietWriter{w: s.extractor(logs), last: s.lastLog}
		}
		r, err := startRIE(ctx, filepath.Join(s.opts.Binaries, f.Name, "bootstrap"), append(env, "AWS_LAMBDA_FUNCTION_NAME="+name), out)
		if err != nil {
			for _, started := range s.RIEs {
				_ = started.Stop()
			}
			return fmt.Errorf("start %s under the Lambda emulator: %w", name, err)
		}
		s.RIEs[f.Name] = r
		s.aws.Router().Handle(name, r)
	}
	return nil
}

// Execute starts the workflow with input (nil: the schedule's empty input,
// so the stack's default target) and waits for it.
func (s *Sandbox) Execute(ctx context.Context, in sfnrun.Input, progress func(sfnrun.Event)) (sfnrun.Outcome, error) {
	name := sfnrun.ExecutionName("local-", time.Now())
	arn, err := sfnrun.Start(ctx, s.sfn, s.StateMachineARN, name, in)
	if err != nil {
		return sfnrun.Outcome{}, err
	}
	w := &sfnrun.Waiter{Describe: s.sfn, History: s.sfn, Interval: 100 * time.Millisecond, Progress: progress}
	out, err := w.Wait(ctx, arn)
	s.settleLogs(ctx)
	return out, err
}

// MetricValue is one published metric, read back from CloudWatch.
type MetricValue struct {
	Name       string
	Dimensions map[string]string
	Value      float64
	Unit       string
}

// Metrics reads back every metric in the namespace published since since
// (the Sum over the window).
func (s *Sandbox) Metrics(ctx context.Context, since time.Time) ([]MetricValue, error) {
	var out []MetricValue
	p := cloudwatch.NewListMetricsPaginator(s.cw, &cloudwatch.ListMetricsInput{Namespace: aws.String(s.opts.Namespace)})
	var listed []cwtypes.Metric
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list metrics: %w", err)
		}
		listed = append(listed, page.Metrics...)
	}
	if len(listed) == 0 {
		return nil, nil
	}
	queries := make([]cwtypes.MetricDataQuery, len(listed))
	for i, m := range listed {
		queries[i] = cwtypes.MetricDataQuery{
			Id:         aws.String(fmt.Sprintf("m%d", i)),
			MetricStat: &cwtypes.MetricStat{Metric: &listed[i], Period: aws.Int32(60), Stat: aws.String("Sum")},
		}
		_ = m
	}
	data, err := s.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries,
		StartTime:         aws.Time(since.Add(-2 * time.Minute)),
		EndTime:           aws.Time(time.Now().Add(2 * time.Minute)),
	})
	if err != nil {
		return nil, fmt.Errorf("get metric data: %w", err)
	}
	for _, r := range data.MetricDataResults {
		var i int
		if _, err := fmt.Sscanf(aws.ToString(r.Id), "m%d", &i); err != nil || i >= len(listed) {
			continue
		}
		m := listed[i]
		v := MetricValue{Name: aws.ToString(m.MetricName), Dimensions: map[string]string{}}
		for _, d := range m.Dimensions {
			v.Dimensions[aws.ToString(d.Name)] = aws.ToString(d.Value)
		}
		for _, x := range r.Values {
			v.Value += x
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Dimensions[metrics.DimCheck] < out[j].Dimensions[metrics.DimCheck]
	})
	return out, nil
}

// OpenTestCases are the open Cases carrying sfprobe's Subject prefix.
func (s *Sandbox) OpenTestCases() []sim.Case { return s.Org.OpenCases(events.SubjectPrefix) }

// placeholderZip is the code moto stores for the simulated function: moto
// never runs it, the gateway answers its invocations.
func placeholderZip() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("sfInvokeAPI.py")
	_, _ = w.Write([]byte("# sfInvokeAPI is simulated by sfprobe; see internal/sim.\n"))
	_ = zw.Close()
	return buf.Bytes()
}
