/** The part of the Lambda context object the handlers use (avoids a dependency on @types/aws-lambda). */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}
