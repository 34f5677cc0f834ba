package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
)

// Token is a minted registry credential and when it stops working.
type Token struct {
	Username string
	Password string
	Expires  time.Time
}

// ECROptions tune minting; the zero value uses AWS's endpoints.
type ECROptions struct {
	// Endpoint overrides the service endpoint (VPC endpoints, and the local
	// servers tests use to speak ECR's real wire protocol).
	Endpoint string
}

// MintECR calls GetAuthorizationToken for an ECR or ECR Public registry
// with the caller's AWS configuration (credentials from the standard chain:
// environment, shared config and profile, role) and decodes the
// "AWS:password" token it returns. Tokens last 12 hours.
func MintECR(ctx context.Context, cfg aws.Config, info Info, o ECROptions) (Token, error) {
	switch info.Provider {
	case ECR:
		c := ecr.NewFromConfig(cfg, func(opts *ecr.Options) {
			opts.Region = info.Region
			if o.Endpoint != "" {
				opts.BaseEndpoint = aws.String(o.Endpoint)
			}
		})
		out, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
		if err != nil {
			return Token{}, fmt.Errorf("ecr get-authorization-token (%s): %w", info.Region, err)
		}
		if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
			return Token{}, errors.New("ecr get-authorization-token: the answer holds no token")
		}
		d := out.AuthorizationData[0]
		return decodeAWSToken(*d.AuthorizationToken, d.ExpiresAt)
	case ECRPublic:
		c := ecrpublic.NewFromConfig(cfg, func(opts *ecrpublic.Options) {
			opts.Region = "us-east-1" // ECR Public's tokens come from us-east-1 only
			if o.Endpoint != "" {
				opts.BaseEndpoint = aws.String(o.Endpoint)
			}
		})
		out, err := c.GetAuthorizationToken(ctx, &ecrpublic.GetAuthorizationTokenInput{})
		if err != nil {
			return Token{}, fmt.Errorf("ecr-public get-authorization-token: %w", err)
		}
		if out.AuthorizationData == nil || out.AuthorizationData.AuthorizationToken == nil {
			return Token{}, errors.New("ecr-public get-authorization-token: the answer holds no token")
		}
		return decodeAWSToken(*out.AuthorizationData.AuthorizationToken, out.AuthorizationData.ExpiresAt)
	}
	return Token{}, fmt.Errorf("%s is not an ECR registry", info.Title)
}

// decodeAWSToken splits base64("AWS:password"); the password itself is
// never put in an error.
func decodeAWSToken(tok string, expires *time.Time) (Token, error) {
	b, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return Token{}, errors.New("ecr token is not base64")
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok || user == "" || pass == "" {
		return Token{}, errors.New("ecr token is not USER:PASSWORD")
	}
	t := Token{Username: user, Password: pass}
	if expires != nil {
		t.Expires = *expires
	}
	return t, nil
}
