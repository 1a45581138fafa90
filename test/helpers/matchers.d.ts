// Type augmentation for the aws-sdk-client-mock matchers registered in the unit project's setup.
import 'aws-sdk-client-mock-jest';
