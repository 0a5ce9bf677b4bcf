import { CompleteMultipartUploadCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvalidStatusTransition } from '../errors';

/**
 * The export tasks' S3 client, guarded: right before a write that makes an object appear (a PutObject,
 * the CompleteMultipartUpload of a streamed upload) it asks whether the request is still running. A
 * task that was mid-flight when its export was cancelled (the API stopped the execution and removed the
 * export's data) therefore writes nothing afterwards: the write is refused with
 * `InvalidStatusTransition`, and a refused multipart upload is aborted by its uploader. Only the time of
 * one ledger read separates the check from the write.
 */

/** Whether a command makes an object appear in the bucket. */
function commitsAnObject(command: unknown): boolean {
  return command instanceof PutObjectCommand || command instanceof CompleteMultipartUploadCommand;
}

/** The client with every committing write preceded by `stillRunning()`; a false answer refuses the write. */
export function guardWrites(s3: S3Client, requestId: string, stillRunning: () => Promise<boolean>): S3Client {
  const send = async (command: Parameters<S3Client['send']>[0], ...rest: unknown[]) => {
    if (commitsAnObject(command) && !(await stillRunning())) {
      throw new InvalidStatusTransition(`Request ${requestId} is no longer in progress (cancelled); nothing more is written for it`);
    }
    return (s3.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
  };
  return Object.create(s3, { send: { value: send } }) as S3Client;
}
