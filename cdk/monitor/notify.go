package monitor

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Notifications are the paging topic and its key.
type Notifications struct {
	// Topic is the monitor's own topic, or the one given to it.
	Topic awssns.ITopic
	// Key is the topic's key: the monitor's own, or topicKmsKeyArn's; nil
	// for a given topic.
	Key awskms.IKey
}

// NewNotifications creates the paging topic: encrypted with a customer
// managed key (CloudWatch alarms cannot publish to a topic encrypted with
// the AWS managed aws/sns key), SSL-only, publishable by this account's
// CloudWatch alarms, with an e-mail subscription when alarmEmail is set.
// The key is the stack's own ($1 a month) unless topicKmsKeyArn names an
// existing one, whose key policy must then hold the statement this
// function adds to its own key (docs/DEPLOY.md). A given topic (the
// construct's MonitorProps.Topic) is used as it is: no key, no
// subscription, and a publish statement only when the topic belongs to
// this app (an imported topic's policy is its owner's to set).
func NewNotifications(scope constructs.Construct, id string, c Config, given awssns.ITopic) *Notifications {
	group := constructs.NewConstruct(scope, jsii.String(id))
	if given != nil {
		given.AddToResourcePolicy(publishStatement(scope, given))
		return &Notifications{Topic: given}
	}
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)
	var key awskms.IKey
	if c.TopicKmsKeyArn != "" {
		key = awskms.Key_FromKeyArn(group, jsii.String("TopicKey"), jsii.String(c.TopicKmsKeyArn))
	} else {
		own := awskms.NewKey(group, jsii.String("TopicKey"), &awskms.KeyProps{
			Description:       jsii.String("sfprobe " + c.StackName + ": encrypts the paging topic"),
			EnableKeyRotation: jsii.Bool(true),
			// $1 a month while it exists: do not leave it behind.
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
			PendingWindow: awscdk.Duration_Days(jsii.Number(7)),
		})
		own.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
			Principals: &[]awsiam.IPrincipal{cloudwatch},
			Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
			// In a key policy "*" is this key. The topic policy below limits
			// who may publish; AWS documents no condition key for this grant.
			Resources: jsii.Strings("*"),
		}), nil)
		key = own
	}
	topic := awssns.NewTopic(group, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("sfprobe " + c.StackName),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddToResourcePolicy(publishStatement(scope, topic))
	if c.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(c.AlarmEmail), nil))
	}
	return &Notifications{Topic: topic, Key: key}
}

// publishStatement lets this account's CloudWatch alarms publish to topic.
func publishStatement(scope constructs.Construct, topic awssns.ITopic) awsiam.PolicyStatement {
	stack := awscdk.Stack_Of(scope)
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnLike":      map[string]any{"aws:SourceArn": "arn:" + *stack.Partition() + ":cloudwatch:" + *stack.Region() + ":" + *stack.Account() + ":alarm:*"},
		},
	})
}
