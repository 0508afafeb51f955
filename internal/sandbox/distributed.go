package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/handler"
	sfnrun "github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// ResultsBucketName is the sandbox's results bucket (the workflow's
// ResultsBucket): a distributed fleet's targets, reports and fleet report.
const ResultsBucketName = "sfprobe-local-results"

// distributedSubs are the Distributed Map's substitutions in the sandbox.
// The one that differs from the cloud's is ChildExecutionType: STANDARD,
// the only child type moto runs (the cloud's children are EXPRESS). moto
// also ignores ToleratedFailurePercentage and writes no ResultWriter files;
// the workflow depends on neither (internal/workflow tests their shape).
// The ItemReader reads the results bucket through MOTO_PORT, which is the
// gateway's port: the gateway passes S3 to moto unchanged. With
// Options.DefaultTargetsInS3 the default targets are written to
// DefaultTargetsKey and the definition points at them.
func (s *Sandbox) distributedSubs(ctx context.Context, defaults []check.Target) (map[string]string, error) {
	subs := map[string]string{
		workflow.ResultsBucket:        ResultsBucketName,
		workflow.ChildExecutionType:   string(workflow.TypeStandard),
		workflow.DefaultTargetsBucket: "",
		workflow.DefaultTargetsKey:    "",
	}
	if s.opts.DefaultTargetsInS3 {
		if err := s.PutResultsObject(ctx, DefaultTargetsKey, defaults); err != nil {
			return nil, err
		}
		subs[workflow.DefaultTargetsBucket], subs[workflow.DefaultTargetsKey] = ResultsBucketName, DefaultTargetsKey
	}
	return subs, nil
}

// DefaultTargetsKey is where Options.DefaultTargetsInS3 keeps the default
// targets in the results bucket.
const DefaultTargetsKey = "config/targets.json"

func (s *Sandbox) createResultsBucket(ctx context.Context) error {
	if _, err := handler.NewObjectStore(s.cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(ResultsBucketName)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", ResultsBucketName, err)
	}
	return nil
}

// Execution is a finished execution started with ExecuteJSON.
type Execution struct {
	Name string
	sfnrun.Outcome
	// Output is the execution's output (SUCCEEDED only).
	Output string
}

// ExecuteJSON starts the workflow with the raw execution input (a
// targets_object, say, which sfn.Input does not spell) and waits for it.
func (s *Sandbox) ExecuteJSON(ctx context.Context, input string) (Execution, error) {
	name := sfnrun.ExecutionName("local-", time.Now())
	out, err := s.sfn.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.StateMachineARN), Name: aws.String(name), Input: aws.String(input),
	})
	if err != nil {
		return Execution{}, fmt.Errorf("start execution: %w", err)
	}
	w := &sfnrun.Waiter{Describe: s.sfn, History: s.sfn, Interval: 250 * time.Millisecond}
	o, err := w.Wait(ctx, aws.ToString(out.ExecutionArn))
	s.settleLogs(ctx)
	if err != nil {
		return Execution{}, err
	}
	d, err := s.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
	if err != nil {
		return Execution{}, fmt.Errorf("describe execution %s: %w", name, err)
	}
	return Execution{Name: name, Outcome: o, Output: aws.ToString(d.Output)}, nil
}

// PutResultsObject writes v as JSON to key in the results bucket.
func (s *Sandbox) PutResultsObject(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := handler.NewObjectStore(s.cfg).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(ResultsBucketName), Key: aws.String(key), Body: bytes.NewReader(b),
	}); err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", ResultsBucketName, key, err)
	}
	return nil
}

// ReadResultsObject reads the JSON object at key in the results bucket
// into v.
func (s *Sandbox) ReadResultsObject(ctx context.Context, key string, v any) error {
	out, err := handler.NewObjectStore(s.cfg).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(ResultsBucketName), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("get s3://%s/%s: %w", ResultsBucketName, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
