package sim

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// SecretStore is what sfInvokeAPI needs of Secrets Manager: it reads the
// credentials secret on every invocation and writes a refreshed OAuth token
// back.
type SecretStore interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

var _ SecretStore = (*secretsmanager.Client)(nil)

// MemorySecrets is an in-memory Secrets Manager holding string secrets by
// id (name or ARN) with their version history. It is safe for concurrent use.
type MemorySecrets struct {
	mu       sync.Mutex
	versions map[string][]string
}

var _ SecretStore = (*MemorySecrets)(nil)

// NewMemorySecrets returns a store holding secretString under id.
func NewMemorySecrets(id, secretString string) *MemorySecrets {
	m := &MemorySecrets{versions: map[string][]string{}}
	m.Put(id, secretString)
	return m
}

// Put stores a new version of secret id.
func (m *MemorySecrets) Put(id, secretString string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.versions[id] = append(m.versions[id], secretString)
}

// Current returns the current version of secret id.
func (m *MemorySecrets) Current(id string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vs := m.versions[id]
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// Versions is how many versions secret id has (1 after NewMemorySecrets).
func (m *MemorySecrets) Versions(id string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.versions[id])
}

// GetSecretValue returns the current version, or ResourceNotFoundException.
func (m *MemorySecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := aws.ToString(in.SecretId)
	s, ok := m.Current(id)
	if !ok {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
	}
	return &secretsmanager.GetSecretValueOutput{
		ARN:           aws.String(id),
		Name:          aws.String(id),
		SecretString:  aws.String(s),
		VersionId:     aws.String(fmt.Sprintf("v%d", m.Versions(id))),
		VersionStages: []string{"AWSCURRENT"},
	}, nil
}

// PutSecretValue stores a new version of an existing secret.
func (m *MemorySecrets) PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := aws.ToString(in.SecretId)
	if _, ok := m.Current(id); !ok {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
	}
	m.Put(id, aws.ToString(in.SecretString))
	return &secretsmanager.PutSecretValueOutput{
		ARN:           aws.String(id),
		Name:          aws.String(id),
		VersionId:     aws.String(fmt.Sprintf("v%d", m.Versions(id))),
		VersionStages: []string{"AWSCURRENT"},
	}, nil
}
