package lambdahttp

import (
	"context"
	"reflect"

	"github.com/aws/aws-lambda-go/lambda"
)

// FromHandler serves an aws-lambda-go handler in-process the way the Lambda
// runtime does: a returned error becomes an unhandled function error whose
// errorType is the error's Go type name (pointer stripped).
func FromHandler(h lambda.Handler) Function {
	return FunctionFunc(func(ctx context.Context, payload []byte) (Response, error) {
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			return Response{FunctionError: "Unhandled", Payload: ErrorPayload(ErrorType(err), err.Error())}, nil
		}
		return Response{Payload: out}, nil
	})
}

// ErrorType is the errorType aws-lambda-go reports for err.
func ErrorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Ptr {
		return t.Elem().Name()
	}
	return t.Name()
}
